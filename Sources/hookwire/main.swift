print("hookwire: not built yet")
