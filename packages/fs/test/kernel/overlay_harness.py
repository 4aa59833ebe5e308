#!/usr/bin/env python3
"""Kernel overlayfs oracle for the fs model's tests.

Reads one JSON scenario per line on stdin and answers one JSON line per scenario on stdout:
materialises the lower layers in overlay form (whiteout = char device 0/0, opaque dir =
trusted.overlay.opaque=y), mounts a real overlay with default options (what Docker's overlay2 and
podman use), runs the operations *inside a chroot of the merged dir* (so absolute symlinks resolve in
the container root, never the host's), lists the merged view, unmounts, and lists the upper dir.

Python is used because Node has no chroot, mknod or xattr calls.
"""
import base64
import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

OPAQUE = "trusted.overlay.opaque"


def materialize(root, entries):
    for e in entries:
        p = root + e["path"]
        t = e["type"]
        if t == "dir":
            if e["path"] != "/":
                os.mkdir(p)
            os.lchown(p, e["uid"], e["gid"])
            os.chmod(p, e["mode"])
        elif t == "file":
            with open(p, "wb") as f:
                f.write(base64.b64decode(e["data"]))
            os.lchown(p, e["uid"], e["gid"])
            os.chmod(p, e["mode"])
        elif t == "symlink":
            os.symlink(e["target"], p)
            os.lchown(p, e["uid"], e["gid"])
        elif t == "hardlink":
            os.link(root + e["target"], p, follow_symlinks=False)
        elif t == "whiteout":
            os.mknod(p, stat.S_IFCHR | 0o000, os.makedev(0, 0))
        elif t == "opaque":
            os.setxattr(p, OPAQUE, b"y", follow_symlinks=False)
        else:
            raise ValueError(t)


def entry_of(path, st, upper):
    m = st.st_mode
    if stat.S_ISDIR(m):
        e = {"path": path, "type": "dir", "mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid}
        if upper:
            try:
                e["opaque"] = os.getxattr(path if not upper else upper + path, OPAQUE, follow_symlinks=False) == b"y"
            except OSError:
                e["opaque"] = False
            for name in ("trusted.overlay.redirect", "trusted.overlay.metacopy"):
                try:
                    os.getxattr(upper + path, name, follow_symlinks=False)
                    e["unexpected"] = name
                except OSError:
                    pass
        return e
    if stat.S_ISREG(m):
        return {"path": path, "type": "file", "mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid, "size": st.st_size}
    if stat.S_ISLNK(m):
        return {"path": path, "type": "symlink", "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISCHR(m) and st.st_rdev == os.makedev(0, 0):
        return {"path": path, "type": "whiteout"}
    return {"path": path, "type": "other", "mode": m}


def listing(root, upper=None):
    """Sorted pre-order lstat walk of root ('' = the chroot's /)."""
    out = []

    def walk(rel):
        full = (root + rel) if rel != "/" else (root or "/")
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            # A "phantom": a directory served by a single lower layer lists that layer's whiteouts
            # in readdir, but lstat on them gives ENOENT. They are not entries of the view.
            return
        e = entry_of(rel, st, upper)
        if e["type"] == "file":
            with open(full, "rb") as f:
                e["sha256"] = "sha256:" + hashlib.sha256(f.read()).hexdigest()
        if e["type"] == "symlink":
            e["target"] = os.readlink(full)
        out.append(e)
        if e["type"] == "dir":
            for name in sorted(os.listdir(full)):
                walk((rel if rel != "/" else "") + "/" + name)

    walk("/")
    return out


def children(path):
    """readdir without the phantoms (whiteouts of a single-layer lower dir that lstat calls ENOENT)."""
    return [n for n in sorted(os.listdir(path)) if os.path.lexists(path + "/" + n)]


def remove_tree(path):
    st = os.lstat(path)
    if stat.S_ISDIR(st.st_mode):
        for name in children(path):
            remove_tree(path + "/" + name)
        os.rmdir(path)
    else:
        os.unlink(path)


def copy_tree(src, dst):
    st = os.lstat(src)
    m = st.st_mode
    if stat.S_ISDIR(m):
        os.mkdir(dst)
        os.lchown(dst, st.st_uid, st.st_gid)
        os.chmod(dst, stat.S_IMODE(m))
        for name in children(src):
            copy_tree(src + "/" + name, dst + "/" + name)
    elif stat.S_ISLNK(m):
        os.symlink(os.readlink(src), dst)
        os.lchown(dst, st.st_uid, st.st_gid)
    else:
        with open(src, "rb") as f:
            data = f.read()
        with open(dst, "wb") as f:
            f.write(data)
        os.lchown(dst, st.st_uid, st.st_gid)
        os.chmod(dst, stat.S_IMODE(m))
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


def parent_of(p):
    i = p.rstrip("/").rfind("/")
    return "/" if i <= 0 else p[:i]


def resolved_parent(p):
    """p with the symlinks of its parent resolved, as a multi-step tool holding a directory fd sees it."""
    parent = parent_of(p)
    name = p.rstrip("/").rsplit("/", 1)[-1]
    real = os.path.realpath(parent)
    return (real.rstrip("/") + "/" + name) if name else real


def run_op(op):
    k = op["op"]
    if k == "write":
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if op["append"] else os.O_TRUNC)
        fd = os.open(op["path"], flags, op["mode"])
        try:
            os.write(fd, base64.b64decode(op["data"]))
        finally:
            os.close(fd)
    elif k == "truncate":
        os.truncate(op["path"], op["size"])
    elif k == "mkdir":
        os.mkdir(op["path"], op["mode"])
    elif k == "symlink":
        os.symlink(op["target"], op["path"])
    elif k == "link":
        os.link(op["target"], op["path"], follow_symlinks=False)
    elif k == "remove":
        st = os.lstat(op["path"])
        if stat.S_ISDIR(st.st_mode):
            if op["recursive"]:
                remove_tree(resolved_parent(op["path"]))
            else:
                os.rmdir(op["path"])
        else:
            os.unlink(op["path"])
    elif k == "rename":
        os.rename(op["from"], op["to"])
    elif k == "move":
        # Our fs.move: what `mv` falls back to after EXDEV, with the destination required to be new.
        for p in (parent_of(op["from"]), parent_of(op["to"])):
            if not stat.S_ISDIR(os.stat(p).st_mode):
                raise OSError(errno.ENOTDIR, "not a directory")
        os.lstat(op["from"])
        if os.path.lexists(op["to"]):
            raise OSError(errno.EEXIST, "exists")
        src, dst = resolved_parent(op["from"]), resolved_parent(op["to"])
        if dst.startswith(src.rstrip("/") + "/") or src == "/":
            raise OSError(errno.EINVAL, "into itself")
        copy_tree(resolved_parent(op["from"]), resolved_parent(op["to"]))
        remove_tree(resolved_parent(op["from"]))
    elif k == "chmod":
        os.chmod(op["path"], op["mode"])
    elif k == "chown":
        os.chown(op["path"], op["uid"], op["gid"])
    elif k == "utimes":
        ns = op["mtime"] * 1_000_000
        os.utime(op["path"], ns=(ns, ns))
    else:
        raise ValueError(k)


def run_in_chroot(merged, ops):
    """Forks; the child chroots into merged, runs the ops and lists the view."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.chroot(merged)
            os.chdir("/")
            os.umask(0)
            results = []
            for op in ops:
                try:
                    run_op(op)
                    results.append(None)
                except OSError as e:
                    results.append(errno.errorcode.get(e.errno, str(e.errno)))
            view = listing("")
            payload = json.dumps({"results": results, "merged": view}).encode()
        except Exception as e:  # noqa: BLE001
            payload = json.dumps({"crash": repr(e)}).encode()
        with os.fdopen(w, "wb") as f:
            f.write(payload)
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def scenario(s, base):
    d = tempfile.mkdtemp(dir=base)
    try:
        n = len(s["layers"])
        for i, entries in enumerate(s["layers"]):
            os.mkdir(f"{d}/L{i}")
            materialize(f"{d}/L{i}", entries)
        for name in ("upper", "work", "merged"):
            os.mkdir(f"{d}/{name}")
        os.chmod(f"{d}/upper", 0o755)
        lower = ":".join(f"L{i}" for i in reversed(range(n)))
        options = f"lowerdir={lower},upperdir=upper,workdir=work"
        assert len(options) < 4000
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, "merged"], cwd=d, check=True)
        try:
            out = run_in_chroot(f"{d}/merged", s["ops"])
        finally:
            subprocess.run(["umount", f"{d}/merged"], check=True)
        if "crash" not in out:
            out["upper"] = listing(f"{d}/upper", upper=f"{d}/upper")
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if sys.argv[1] == "--ops-in":
        # Run one op list (JSON on stdin) inside a chroot of an existing directory (a podman mount).
        print(json.dumps(run_in_chroot(sys.argv[2], json.loads(sys.stdin.read()))), flush=True)
        return
    base = sys.argv[1]
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(scenario(json.loads(line), base)), flush=True)


if __name__ == "__main__":
    main()
