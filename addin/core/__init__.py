"""Pure-Python core: no Excel, no openpyxl, no pandas. Adapters and the CLI sit on top."""
