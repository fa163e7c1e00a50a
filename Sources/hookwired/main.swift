print("hookwired: not built yet")
