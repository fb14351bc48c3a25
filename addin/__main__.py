"""`python -m addin ...` = `jxzp ...` (for machines where pip's scripts folder is not on PATH)."""
import sys

from .cli import main

sys.exit(main())
