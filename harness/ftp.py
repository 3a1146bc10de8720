"""A real FTP server (pyftpdlib) in its own process on 127.0.0.1."""

import os
import secrets
import sys
import tempfile

from .process import Process, ServerBase, free_port, wait_for_port


class FTPServer(ServerBase):
    def __init__(self, *, port=None):
        self.directory = tempfile.mkdtemp(prefix="storage-ftp-")
        self.root = os.path.join(self.directory, "root")
        os.makedirs(self.root)
        self.port = port or free_port()
        self.user = "storage"
        self.password = secrets.token_hex(12)  # never starts with "-"
        self.process = None

    @property
    def url(self):
        return f"ftp://{self.user}:{self.password}@127.0.0.1:{self.port}/"

    def start(self):
        self.process = Process(
            "ftp",
            [
                sys.executable,
                "-m",
                "pyftpdlib",
                "-i",
                "127.0.0.1",
                "-p",
                self.port,
                "-d",
                self.root,
                "-u",
                self.user,
                "-P",
                self.password,
                "-w",
            ],
            os.path.join(self.directory, "ftp.log"),
        ).start()
        wait_for_port(self.port, process=self.process)
        return self
