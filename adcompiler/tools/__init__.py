"""Tools for seeing and testing what the compiler does, apart from it.

The compiler core (everything outside this package) never imports these:
the command line (:mod:`.cli`), the explained view (:mod:`.explain`), DOT
pictures of graphs (:mod:`.dot`), the notebook display (:mod:`.display`),
the NumPy coverage table (:mod:`.coverage`) and the differential fuzzer
(:mod:`.fuzz`).
"""
