"""gdb commands for programs that use libgocsp (after Go's runtime-gdb.py).

    (gdb) source tools/gocsp-gdb.py
    (gdb) info coroutines        every live coroutine: id, state, start
    (gdb) coroutine 7 bt         any gdb command, run as if coroutine 7
                                 were the current thread ("coroutine 7
                                 info locals", "coroutine 7 frame 3")

It reads the library's list of coroutine records (allg in coro.c), so
libgocsp needs its debug information (RelWithDebInfo or Debug builds have
it).  "coroutine N" works on a live process stopped in gdb, not on a core
file: it loads the coroutine's saved registers into the selected thread,
runs the command, and puts the thread's own registers back.
"""

import gdb

STATES = {0: "runnable", 1: "running", 2: "waiting", 3: "runnable",
          4: "dead"}


def _allg():
    sym = gdb.lookup_static_symbol("allg")
    if sym is None:
        raise gdb.GdbError("no allg: is libgocsp loaded, with its "
                           "debug information?")
    v = sym.value()
    a = v["a"]
    for i in range(int(v["n"])):
        yield a[i].dereference()


def _reason(g):
    t = gdb.lookup_type("enum gocsp__waitreason")
    name = str(g["waitreason"].cast(t))
    return name.replace("GOCSP__WAIT_", "").lower().replace("_", " ")


def _live():
    for g in _allg():
        if int(g["status"]) != 4 and int(g["id"]) != 0:
            yield g


def _find(gid):
    for g in _live():
        if int(g["id"]) == gid:
            return g
    raise gdb.GdbError("no coroutine %d" % gid)


class InfoCoroutines(gdb.Command):
    """List every live coroutine: id, state and start function."""

    def __init__(self):
        super().__init__("info coroutines", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        for g in _live():
            status = int(g["status"])
            state = STATES.get(status, "?")
            if status == 2:
                state = _reason(g)
            fn = g["startfn"]
            gdb.write("%6d %-16s %s\n" % (int(g["id"]), state,
                                          str(fn).split(" ", 1)[-1]))


# Where the context switch (arch/switch_*.S) leaves the saved registers:
# register -> offset from the saved stack pointer; "pc" is the return
# address, "sp" what the stack pointer is once the switch returns.
FRAMES = {
    "x86-64": {"r15": 0, "r14": 8, "r13": 16, "r12": 24, "rbx": 32,
               "rbp": 40, "pc": 48, "sp": 56},
    "aarch64": {"x19": 0, "x20": 8, "x21": 16, "x22": 24, "x23": 32,
                "x24": 40, "x25": 48, "x26": 56, "x27": 64, "x28": 72,
                "x29": 80, "pc": 88, "sp": 176},
}


class Coroutine(gdb.Command):
    """coroutine ID COMMAND: run COMMAND on coroutine ID's saved stack."""

    def __init__(self):
        super().__init__("coroutine", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        parts = arg.split(None, 1)
        if len(parts) != 2:
            raise gdb.GdbError("usage: coroutine ID COMMAND")
        g = _find(int(parts[0]))
        status = int(g["status"])
        if status == 1:
            raise gdb.GdbError("coroutine %s is running: find its worker "
                               "with \"info threads\"" % parts[0])
        if g["fresh"]:
            raise gdb.GdbError("coroutine %s has not run yet" % parts[0])
        arch = gdb.selected_frame().architecture().name()
        layout = FRAMES["aarch64" if "aarch64" in arch else "x86-64"]
        saved_sp = int(g["regs"]["sp"])
        u64 = gdb.lookup_type("unsigned long").pointer()
        regs = {}
        for reg, off in layout.items():
            if reg == "sp":
                regs["sp"] = saved_sp + off
            else:
                regs[reg] = int(gdb.Value(saved_sp + off).cast(u64)
                                .dereference())
        gdb.execute("frame 0", to_string=True)
        old = {r: int(gdb.parse_and_eval("$" + r)) for r in regs}
        try:
            for r, v in regs.items():
                gdb.execute("set $%s = %d" % (r, v), to_string=True)
            gdb.execute(parts[1], from_tty)
        finally:
            for r, v in old.items():
                gdb.execute("set $%s = %d" % (r, v), to_string=True)


InfoCoroutines()
Coroutine()
