print("hookwire-bench: no benchmarks yet")
