"""jxzp — 部门整体支出绩效自评助手 (Excel add-in + command line)."""

__version__ = "0.1.0"
XLWINGS_VERSION = "0.37.8"  # the add-in's VBA module is tied to this exact version
