"""sfsbench: the benchmark behind bench/run (sfs against OpenSSH sftp and nginx + curl).

Modules by job (bench/README.md has the map): options and cli (the command line and
the run's life), procs and measure (processes, CPU, memory, load), servers and peers
(sfs-server, sshd, nginx), sfsproto (raw sfs protocol sessions over TLS), bench (the
state the workloads share), workloads/ (one module each) and report/ (the Markdown).
Python standard library only.
"""
