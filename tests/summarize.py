#!/usr/bin/env python3
"""Print one closing line for all meson test logs given: 'N passed, N failed, N skipped'."""
import json, sys

passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        t = json.loads(line)
        r = t.get('result')
        name = f"{t.get('name')} ({path.split('/')[0]})"
        if r == 'OK' or r == 'EXPECTEDFAIL':
            passed += 1
        elif r == 'SKIP':
            skipped += 1
            print(f"skipped: {name}")
        else:
            failed += 1
            print(f"FAILED: {name}: {r}")
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
