#!/usr/bin/env python3
"""Prints the functions declared in a C header, one name a line, sorted.

The header is run through the C preprocessor first (`cc -E -P`), which removes comments and
macros, so only real declarations remain. A name followed by `(` counts as a function unless
`*` follows the parenthesis, as after the return type of a function-pointer typedef
(`hw_plugin_outcome (*hw_plugin_deliver_fn)(...)`); the typedef's own name is followed by `)`.
"""
import re
import subprocess
import sys

header = sys.argv[1]
prefix = sys.argv[2] if len(sys.argv) > 2 else "hw_"
source = subprocess.run(
    ["cc", "-E", "-P", "-x", "c", "-std=c99", header], check=True, capture_output=True, text=True
).stdout
# The system headers it includes declare no name with the prefix, so the whole output is scanned.
declared = set()
for match in re.finditer(r"\b(" + re.escape(prefix) + r"\w+)\s*\((?!\s*\*)", source):
    declared.add(match.group(1))
print("\n".join(sorted(declared)))
