import ArgumentParser
print("warm")
