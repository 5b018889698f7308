print("stylize: not built yet")
