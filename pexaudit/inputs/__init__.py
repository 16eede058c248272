"""Inputs: what the convention folder holds, read and checked (convention.yaml, payroll and
expense files, FEC ledgers, the decisions file, an earlier results.json). Errors name the file,
sheet, row, column or key (exit code 2). Nothing here knows the audit's rules."""
