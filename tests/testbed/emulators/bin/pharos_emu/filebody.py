"""A response body read from a file as it is sent (pool files and blobs are large)."""
import os
import shutil


class FileBody:
    def __init__(self, path):
        self.path = path
        self.size = os.path.getsize(path)

    def __len__(self):
        return self.size

    def write_to(self, out):
        with open(self.path, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
