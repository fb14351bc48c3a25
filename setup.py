"""jxzp — 部门整体支出绩效自评助手. Metadata lives here; pyproject.toml only names the build backend."""
from setuptools import find_packages, setup

setup(
    name="jxzp",
    version="0.1.0",
    description="部门整体支出绩效自评助手：Excel 自评表、校验与自评报告（xlwings 加载项 + 命令行）",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    # macros/ (ribbon XML, VBA text) ships inside the package as addin/macros, for jxzp build-addin
    packages=[*find_packages(include=["addin", "addin.*", "docgen", "docgen.*"]), "addin.macros"],
    package_dir={"addin.macros": "macros"},
    package_data={
        "addin.core": ["frameworks/*.toml"],
        "addin": ["samples/*.json"],
        "addin.macros": ["*.xml", "*.bas", "*.cls"],
        "addin.web": ["templates/*.html", "static/*.css", "static/*.js"],
    },
    install_requires=[
        "xlwings==0.37.8",  # exact: the add-in's VBA module and DLL name are tied to this version
        "openpyxl>=3.1,<3.2",
        "defusedxml>=0.7",  # openpyxl (fill/annotate/new) parses through it; the reader (xlsx/stream.py) does not
        "python-docx>=1.1,<2",
        "flask>=3.0,<4",  # jxzp serve (the local page); imported only by that command
        "waitress>=3.0,<4",  # its server: pure Python, Windows and Linux alike
        "lxml>=4.9",  # the lean reader of jxzp review (python-docx needs it too)
    ],
    extras_require={
        # jxzp review's statistics. Not a core dependency: `import xlwings` imports pandas (and
        # numpy) whenever it is installed, which would put it on the add-in's start-up path.
        "review": ["pandas>=2.0"],
        "test": ["pytest>=8", "hypothesis>=6.100", "oletools>=0.60", "olefile>=0.47", "selenium>=4.20",
                 "pandas>=2.0"],
    },
    entry_points={"console_scripts": ["jxzp=addin.cli:main"]},
)
