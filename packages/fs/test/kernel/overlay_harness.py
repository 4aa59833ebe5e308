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
import ctypes
import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time

OPAQUE = "trusted.overlay.opaque"
PRIVATE = "trusted.overlay."
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
UTIME_OMIT = (1 << 30) - 2
SYS_FCHMODAT2 = 452  # x86_64; Linux 6.6+
LIBC = ctypes.CDLL(None, use_errno=True)


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def check(ret):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def utimensat(path, atime_ms, mtime_ms, follow):
    def ts(ms):
        return Timespec(0, UTIME_OMIT) if ms is None else Timespec(ms // 1000, (ms % 1000) * 1_000_000)

    times = (Timespec * 2)(ts(atime_ms), ts(mtime_ms))
    flags = 0 if follow else AT_SYMLINK_NOFOLLOW
    check(LIBC.utimensat(AT_FDCWD, os.fsencode(path), times, flags))


def lchmod(path, mode):
    """fchmodat2(AT_SYMLINK_NOFOLLOW): what lchmod is on Linux (ENOTSUP for a symlink)."""
    check(LIBC.syscall(SYS_FCHMODAT2, AT_FDCWD, os.fsencode(path), mode, AT_SYMLINK_NOFOLLOW))


def set_times(path, ms):
    ns = ms * 1_000_000
    os.utime(path, ns=(ns, ns), follow_symlinks=False)


def xattrs_of(path):
    out = {}
    for name in sorted(os.listxattr(path, follow_symlinks=False)):
        if name.startswith(PRIVATE):
            continue
        out[name] = base64.b64encode(os.getxattr(path, name, follow_symlinks=False)).decode()
    return out


def materialize(root, entries):
    """Writes a layer, then its times (children first, so that making them does not change a parent's)."""
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
        for name, value in (e.get("xattrs") or {}).items():
            os.setxattr(p, name, base64.b64decode(value), follow_symlinks=False)
    for e in reversed(entries):
        if e["type"] in ("dir", "file", "symlink"):
            set_times(root + e["path"], e["mtime"])


def when(ns, t0):
    """A time in ms, or "now" for a time the operations stamped (at or after the scenario's start)."""
    return "now" if ns >= t0 else ns // 1_000_000


def entry_of(path, st, upper, t0, full):
    """`full`: where to read it now (a name in the current directory while listing)."""
    m = st.st_mode
    times = {"mtime": when(st.st_mtime_ns, t0), "atime": when(st.st_atime_ns, t0), "xattrs": xattrs_of(full)}
    if stat.S_ISDIR(m):
        e = {"path": path, "type": "dir", "mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid, **times}
        if upper:
            try:
                e["opaque"] = os.getxattr(full, OPAQUE, follow_symlinks=False) == b"y"
            except OSError:
                e["opaque"] = False
            for name in ("trusted.overlay.redirect", "trusted.overlay.metacopy"):
                try:
                    os.getxattr(full, name, follow_symlinks=False)
                    e["unexpected"] = name
                except OSError:
                    pass
        return e
    if stat.S_ISREG(m):
        return {"path": path, "type": "file", "mode": stat.S_IMODE(m), "uid": st.st_uid, "gid": st.st_gid,
                **times, "size": st.st_size, "nlink": st.st_nlink}
    if stat.S_ISLNK(m):
        return {"path": path, "type": "symlink", "uid": st.st_uid, "gid": st.st_gid, **times,
                "nlink": st.st_nlink}
    if stat.S_ISCHR(m) and st.st_rdev == os.makedev(0, 0):
        return {"path": path, "type": "whiteout"}
    return {"path": path, "type": "other", "mode": m}


def listing(root, t0, upper=None):
    """Pre-order lstat walk of root ('' = the chroot's /), names in byte order; hard links as `link`.
    It walks by changing directory, so that entries deeper than PATH_MAX (reached through symlinks) list."""
    out = []
    first = {}
    here = os.getcwd()

    def walk(rel, name):
        try:
            st = os.lstat(name)
        except FileNotFoundError:
            # A "phantom": a directory served by a single lower layer lists that layer's whiteouts
            # in readdir, but lstat on them gives ENOENT. They are not entries of the view.
            return
        e = entry_of(rel, st, upper, t0, name)
        if e["type"] in ("file", "symlink"):
            key = (st.st_dev, st.st_ino)
            if key in first:
                e["link"] = first[key]
            else:
                first[key] = rel
        if e["type"] == "file":
            with open(name, "rb") as f:
                e["sha256"] = "sha256:" + hashlib.sha256(f.read()).hexdigest()
        if e["type"] == "symlink":
            e["target"] = os.readlink(name)
        out.append(e)
        if e["type"] == "dir":
            os.chdir(name)
            for child in sorted(os.listdir("."), key=os.fsencode):
                walk((rel if rel != "/" else "") + "/" + child, child)
            os.chdir("..")

    os.chdir(root or "/")
    try:
        walk("/", ".")
    finally:
        os.chdir(here)
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


def copy_tree(src, dst, links=None):
    """cp -a: metadata, xattrs and times kept, hard links inside the tree kept (files and symlinks)."""
    links = {} if links is None else links
    st = os.lstat(src)
    m = st.st_mode
    key = (st.st_dev, st.st_ino)
    if not stat.S_ISDIR(m) and st.st_nlink > 1 and key in links:
        os.link(links[key], dst, follow_symlinks=False)
        return
    links[key] = dst
    xattrs = xattrs_of(src)
    if stat.S_ISDIR(m):
        os.mkdir(dst)
        for name in children(src):
            copy_tree(src + "/" + name, dst + "/" + name, links)
    elif stat.S_ISLNK(m):
        os.symlink(os.readlink(src), dst)
    else:
        fd = os.open(src, os.O_RDONLY | os.O_NOATIME)
        with os.fdopen(fd, "rb") as f:
            data = f.read()
        with open(dst, "wb") as f:
            f.write(data)
    os.lchown(dst, st.st_uid, st.st_gid)
    if not stat.S_ISLNK(m):
        os.chmod(dst, stat.S_IMODE(m))
    for name, value in xattrs.items():
        os.setxattr(dst, name, base64.b64decode(value), follow_symlinks=False)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns), follow_symlinks=False)


def parent_of(p):
    i = p.rstrip("/").rfind("/")
    return "/" if i <= 0 else p[:i]


def resolved_parent(p):
    """p with the symlinks of its parent resolved, as a multi-step tool holding a directory fd sees it."""
    parent = parent_of(p)
    name = p.rstrip("/").rsplit("/", 1)[-1]
    real = os.path.realpath(parent)
    return (real.rstrip("/") + "/" + name) if name else real


def move(src_path, dst_path):
    """Our fs.move: rename(2)'s rules for the target, done as the copy-and-delete `mv` falls back to."""
    for p in (parent_of(src_path), parent_of(dst_path)):
        if not stat.S_ISDIR(os.stat(p).st_mode):
            raise OSError(errno.ENOTDIR, "not a directory")
    st = os.lstat(src_path)
    # rename(2) looks the target's name up (ENAMETOOLONG) before its ancestor traps (EINVAL, ENOTEMPTY).
    if len(os.fsencode(dst_path.rstrip("/").rsplit("/", 1)[-1])) > 255:
        raise OSError(errno.ENAMETOOLONG, "name too long")
    src, dst = resolved_parent(src_path), resolved_parent(dst_path)
    if src == dst:
        return
    if os.path.lexists(dst):
        to = os.lstat(dst)
        if (to.st_dev, to.st_ino) == (st.st_dev, st.st_ino):
            # Two names of one inode: what rename(2) does (nothing for one overlay inode; for the two
            # names of a lower hard link, the same as a copy and a delete).
            os.rename(src_path, dst_path)
            return
    if dst.startswith(src.rstrip("/") + "/"):
        raise OSError(errno.EINVAL, "into itself")
    if src.startswith(dst.rstrip("/") + "/"):
        raise OSError(errno.ENOTEMPTY, "target is an ancestor")
    if os.path.lexists(dst):
        is_dir = stat.S_ISDIR(st.st_mode)
        to_dir = stat.S_ISDIR(os.lstat(dst).st_mode)
        if is_dir and not to_dir:
            raise OSError(errno.ENOTDIR, "not a directory")
        if not is_dir and to_dir:
            raise OSError(errno.EISDIR, "is a directory")
        if to_dir and children(dst):
            raise OSError(errno.ENOTEMPTY, "not empty")
        remove_tree(dst)
    copy_tree(src, dst)
    remove_tree(src)


def mkdirp(path, mode):
    """Our mkdir -p (docs/fs-model.md): `.` and `..` applied to the text, each existing component
    followed (it must be a directory), the missing tail made with mkdir(2), its names checked first."""
    comps = [c for c in os.path.normpath("/" + path).split("/") if c]
    cur = ""
    for i, c in enumerate(comps):
        last = i == len(comps) - 1
        if len(os.fsencode(c)) > 255:
            raise OSError(errno.ENAMETOOLONG, "name too long")
        p = cur + "/" + c
        if not os.path.lexists(p):
            if any(len(os.fsencode(rest)) > 255 for rest in comps[i + 1:]):
                raise OSError(errno.ENAMETOOLONG, "name too long")
            for name in comps[i:]:
                cur = cur + "/" + name
                os.mkdir(cur, mode)
            return
        try:
            st = os.stat(p)
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
            st = None
        if st is None or not stat.S_ISDIR(st.st_mode):
            raise OSError(errno.EEXIST if last else errno.ENOTDIR, "not a directory")
        cur = os.path.realpath(p)
        cur = "" if cur == "/" else cur


def setxattr(op):
    """setxattr(2), with XATTR_CREATE / XATTR_REPLACE checked before the call rather than by it: overlayfs
    copies the entry up before the upper filesystem refuses the flag, and a refused command of ours
    changes nothing (docs/fs-model.md lists the difference). Every other refusal is the kernel's own."""
    path, name, follow = op["path"], op["name"], op["follow"]
    value = base64.b64decode(op["value"])
    if name == "security.capability" and not value:
        os.stat(path, follow_symlinks=follow)
        check_set(path, name, value, follow)
    if name.startswith(PRIVATE):
        # Linux 6.7+ stores it escaped (trusted.overlay.overlay.*); we refuse it (docs/fs-model.md).
        os.stat(path, follow_symlinks=follow)
        raise OSError(errno.ENOTSUP, "overlayfs's own namespace")
    if op["flag"] != 0:
        # The kernel's own checks first, with a plain set of the current value or none at all.
        try:
            current = os.getxattr(path, name, follow_symlinks=follow)
        except OSError as e:
            if e.errno != errno.ENODATA:
                raise
            current = None
        if op["flag"] == os.XATTR_CREATE and current is not None:
            check_set(path, name, value, follow)
            raise OSError(errno.EEXIST, "exists")
        if op["flag"] == os.XATTR_REPLACE and current is None:
            check_set(path, name, value, follow)
            raise OSError(errno.ENODATA, "no such attribute")
    os.setxattr(path, name, value, 0, follow_symlinks=follow)


def check_set(path, name, value, follow):
    """The refusals setxattr(2) makes before overlayfs copies up (EPERM, ENOTSUP, EINVAL), without setting."""
    st = os.stat(path, follow_symlinks=follow)
    if name.startswith("user.") and not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise OSError(errno.EPERM, "user xattrs only on files and directories")
    if name.startswith(PRIVATE):
        raise OSError(errno.ENOTSUP, "overlayfs's own")
    if name == "security.capability" and not valid_capability(value):
        # An empty value is stored by the kernel but then unreadable (getxattr: EINVAL); we refuse it.
        raise OSError(errno.EINVAL, "not a vfs_cap_data")


def valid_capability(value):
    if len(value) not in (20, 24):
        return False
    revision = int.from_bytes(value[:4], "little") & 0xFF000000
    return revision == (0x02000000 if len(value) == 20 else 0x03000000)


def run_op(op):
    k = op["op"]
    if k == "write":
        flags = os.O_WRONLY | (os.O_CREAT if op["create"] else 0) | (os.O_APPEND if op["append"] else os.O_TRUNC)
        fd = os.open(op["path"], flags, op["mode"])
        try:
            os.write(fd, base64.b64decode(op["data"]))
        finally:
            os.close(fd)
    elif k == "truncate":
        os.truncate(op["path"], op["size"])
    elif k == "mkdir":
        os.mkdir(op["path"], op["mode"])
    elif k == "mkdirp":
        mkdirp(op["path"], op["mode"])
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
    elif k == "unlink":
        os.unlink(op["path"])
    elif k == "rmdir":
        os.rmdir(op["path"])
    elif k == "rename":
        os.rename(op["from"], op["to"])
    elif k == "move":
        move(op["from"], op["to"])
    elif k == "chmod":
        if op["follow"]:
            os.chmod(op["path"], op["mode"])
        else:
            lchmod(op["path"], op["mode"])
    elif k == "chown":
        os.chown(op["path"], op["uid"], op["gid"], follow_symlinks=op["follow"])
    elif k == "utimes":
        utimensat(op["path"], op["atime"], op["mtime"], op["follow"])
    elif k == "setxattr":
        setxattr(op)
    elif k == "removexattr":
        os.removexattr(op["path"], op["name"], follow_symlinks=op["follow"])
    elif k == "getxattr":
        os.getxattr(op["path"], op["name"], follow_symlinks=op["follow"])
    else:
        raise ValueError(k)


def run_in_chroot(merged, ops, t0):
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
            view = listing("", t0)
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
        # The upper root takes the lower root's metadata, as the model's read-write layer does.
        top = next(e for e in s["layers"][-1] if e["path"] == "/")
        os.chmod(f"{d}/upper", top["mode"])
        set_times(f"{d}/upper", top["mtime"])
        lower = ":".join(f"L{i}" for i in reversed(range(n)))
        # noatime: reads are not events in the model, so they must not move atime here either.
        # redirect_dir, index and metacopy off, as Docker's overlay2 and podman mount (docs/fs-model.md,
        # "Mount options"), whatever the kernel's module defaults are.
        options = f"noatime,redirect_dir=off,index=off,metacopy=off,lowerdir={lower},upperdir=upper,workdir=work"
        assert len(options) < 4000
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", options, "merged"], cwd=d, check=True)
        # Less a margin: file times come from a coarse clock that may lag time_ns a little.
        t0 = time.time_ns() - 5_000_000_000
        try:
            out = run_in_chroot(f"{d}/merged", s["ops"], t0)
        finally:
            subprocess.run(["umount", f"{d}/merged"], check=True)
        if "crash" not in out:
            out["upper"] = listing(f"{d}/upper", t0, upper=f"{d}/upper")
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    if sys.argv[1] == "--ops-in":
        # Run one op list (JSON on stdin) inside a chroot of an existing directory (a podman mount).
        print(json.dumps(run_in_chroot(sys.argv[2], json.loads(sys.stdin.read()), time.time_ns())), flush=True)
        return
    base = sys.argv[1]
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(scenario(json.loads(line), base)), flush=True)


if __name__ == "__main__":
    main()
