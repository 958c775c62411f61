"""Packages and images of the real testbed tier, made from the binaries dir."""
