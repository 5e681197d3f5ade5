#!/usr/bin/env python3
# fuzz/mutants.py - does the bounded fuzz campaign catch real bugs?
# SPDX-License-Identifier: BSD-2-Clause
#
#   fuzz/mutants.py [NAME...]        (from the top of the source tree)
#
# For each mutant below: copy lib/, include/ and fuzz/ to a scratch
# directory, plant one bug in the copy (the source tree is never touched),
# build the fuzz targets there (fuzz/build.sh) and run the bounded campaign
# of `make check` (fuzz/check.sh) on them - with the targets that use the
# mutated file.  A mutant is caught when a target reports a divergence or a
# sanitizer error; the table gives the target and the operations it had
# applied (from its committed corpus on) when it found the bug.  Needs clang with libFuzzer and pkg-config (ck, liburcu-bp).
# ACHAN_FUZZ_OPS (default 10500000) sizes each campaign, as in make check.
import os
import re
import shutil
import subprocess
import sys
import tempfile

MUTANTS = [
    ("try-recv-last-item",
     "bounded try_recv answers EMPTY while one item is left",
     "lib/chan_impl.h",
     "bounded_try_recv(struct achan_chan *ch, void *out)\n{\n"
     "\tint r = achan__ring_pop(&ch->ring, out);\n",
     "bounded_try_recv(struct achan_chan *ch, void *out)\n{\n"
     "\tint r;\n\n\tif (achan__ring_len(&ch->ring) == 1)\n"
     "\t\treturn ACHAN_EMPTY;\n\tr = achan__ring_pop(&ch->ring, out);\n"),
    ("cancel-no-hand-on",
     "cancelling a woken, unpolled future does not hand the wakeup on",
     "lib/waitq_impl.h",
     "\tif (s == ACHAN__W_NOTIFIED && hand_on)\n"
     "\t\t(void)achan__waitq_wake_one(q, lock, ACHAN__W_NOTIFIED);\n",
     "\t(void)hand_on;\n"),
    ("close-no-wake-receivers",
     "channel close does not wake the waiting receivers",
     "lib/chan_impl.h",
     "\tachan__waitq_claim_all(&ch->recvq, &receivers, ACHAN__W_CLOSED);\n",
     ""),
    ("close-wakes-newest-first",
     "close / wake-all wake the newest waiter first",
     "lib/waitq_impl.h",
     "\twhile ((w = achan__waitq_pop(q)) != NULL)\n"
     "\t\tachan__waiter_claim(l, w, outcome);\n",
     "\twhile ((w = q->tail) != NULL) {\n"
     "\t\tachan__waitq_unlink(q, w);\n"
     "\t\tachan__waiter_claim(l, w, outcome);\n\t}\n"),
    ("recv-repoll-keeps-old-waker",
     "a re-polled, still waiting receive keeps its old waker",
     "lib/chan_impl.h",
     "\t\t\tw->_waker = *waker;\t/* keep our place, new waker */\n"
     "\t\t\tsync_unlock(&ch->recvq.lock);\n",
     "\t\t\tsync_unlock(&ch->recvq.lock);\n"),
    ("unbuffered-try-send-one-receiver",
     "unbuffered try_send answers FULL when one receiver waits",
     "lib/chan_impl.h",
     "\tif (achan__waitq_nwaiting(&ch->recvq) == 0)\n\t\treturn ACHAN_FULL;\n",
     "\tif (achan__waitq_nwaiting(&ch->recvq) <= 1)\n\t\treturn ACHAN_FULL;\n"),
    ("cancel-done-says-cancelled",
     "cancel of a future the other side completed answers CANCELLED",
     "lib/waitq_impl.h",
     "\tif (s == ACHAN__W_DONE) {\n\t\tachan__future_finish(w, o, ACHAN_OK);\n"
     "\t\treturn ACHAN_OK;\n",
     "\tif (s == ACHAN__W_DONE) {\n\t\tachan__future_finish(w, o, ACHAN_OK);\n"
     "\t\treturn ACHAN_CANCELLED;\n"),
    ("discard-no-dtor",
     "the last receiver's release discards values without the destructor",
     "lib/chan_impl.h",
     "\tif (ch->dtor != NULL)\n\t\tch->dtor(value, ch->dtor_arg);\n",
     "\t(void)ch;\n\t(void)value;\n"),
    ("last-sender-no-close",
     "releasing the last sender handle does not close the channel",
     "lib/chan.c",
     "\t(void)achan_chan_close(chan_of(o));\n",
     "\t(void)o;\n"),
    ("senders-overtaken",
     "try_send ignores waiting senders (equivalent in one thread: they wait "
     "only while the buffer is full)",
     "lib/chan_impl.h",
     "\tif (achan__unlikely(achan__waitq_nwaiting(&ch->sendq) != 0))\n"
     "\t\treturn achan__ring_is_closed",
     "\tif (0 && achan__unlikely(achan__waitq_nwaiting(&ch->sendq) != 0))\n"
     "\t\treturn achan__ring_is_closed"),
    ("timeout-says-cancelled",
     "a blocking call that times out answers CANCELLED, not TIMEDOUT",
     "lib/parker.c",
     "\t\t\treturn r == ACHAN_OK ? ACHAN_OK : ACHAN_TIMEDOUT;\n",
     "\t\t\treturn r;\n"),
    ("oneshot-close-after-send-newly",
     "oneshot close after a send answers NEWLY_CLOSED",
     "lib/oneshot_impl.h",
     "\t\t * send is the finaliser that wakes the queue */\n"
     "\t\treturn ACHAN_ALREADY_CLOSED;\n",
     "\t\t * send is the finaliser that wakes the queue */\n"
     "\t\treturn ACHAN_NEWLY_CLOSED;\n"),
    ("bcast-recv-takes",
     "a broadcast receive takes the value like a oneshot",
     "lib/oneshot_impl.h",
     "\t\tcase ONCE_READY:\n\t\t\tif (bcast) {\n",
     "\t\tcase ONCE_READY:\n\t\t\tif (bcast && 0) {\n"),
    ("oneshot-discard-no-dtor",
     "the oneshot receiver's release takes the value without the destructor",
     "lib/oneshot_impl.h",
     "\t\t\tif (o->dtor != NULL)\n\t\t\t\to->dtor(o->value, o->dtor_arg);\n",
     ""),
    ("state-send-wakes-only-crowds",
     "a state send wakes the waiters only when more than one waits",
     "lib/state_impl.h",
     "\tif (achan__unlikely(sync_load(&st->waitq.nwaiting, SEQ_CST) != 0))\n",
     "\tif (achan__unlikely(sync_load(&st->waitq.nwaiting, SEQ_CST) > 1))\n"),
    ("state-close-drops-state",
     "after close, a receive holding an older id gets CLOSED",
     "lib/state_impl.h",
     "\ts = snap_of(w);\n\tif (s != NULL && s->id > after) {\n\t\tif (copy) {",
     "\ts = snap_of(w);\n\tif (s != NULL && s->id > after &&\n"
     "\t    !(w & ACHAN__STATE_CLOSED)) {\n\t\tif (copy) {"),
    ("state-overflow-no-close",
     "a state send refused at UINT64_MAX does not close the channel",
     "lib/state_impl.h",
     "\t\tif (r == -1)\n\t\t\t(void)state_close(st);\n",
     ""),
    ("state-local-free-under-borrow",
     "the local state channel frees a superseded state under a borrow",
     "lib/state_impl.h",
     "\tif (st->local_readers == 0) {\n\t\tfree(old);\n",
     "\tif (1) {\n\t\tfree(old);\n"),
    ("select-no-claim",
     "a completing operation never checks a select's claim: two cases of "
     "one select can complete",
     "lib/select_claim.h",
     "\tif (achan__likely(c == NULL))\n\t\treturn ACHAN__CLAIM_WON;\n",
     "\tif (achan__likely(c == NULL) || 1)\n\t\treturn ACHAN__CLAIM_WON;\n"),
    ("select-meets-itself",
     "a select's own poll may complete its other cases (a send case meets "
     "its own receive case)",
     "lib/select_claim.h",
     "\t\t\tif (self)\n\t\t\t\treturn ACHAN__CLAIM_WON;\n",
     "\t\t\tif (self || achan__select_polled_here(sel))\n"
     "\t\t\t\treturn ACHAN__CLAIM_WON;\n"),
    ("select-lost-keeps-room",
     "a served send that meets a lost select case keeps the room from the "
     "senders behind it",
     "lib/chan_impl.h",
     "\t\t\t\tachan__waitq_lose(&ch->sendq, w);\n\t\t\t\tcontinue;\n",
     "\t\t\t\tachan__waitq_lose(&ch->sendq, w);\n\t\t\t\treturn;\n"),
    ("select-lost-stops-meet",
     "an unbuffered meet that drops a lost select case looks no further",
     "lib/chan_impl.h",
     "\t\tcase ACHAN__CLAIM_LOST:\n\t\t\tachan__waitq_lose(q, w);\n"
     "\t\t\tbreak;\n",
     "\t\tcase ACHAN__CLAIM_LOST:\n\t\t\tachan__waitq_lose(q, w);\n"
     "\t\t\treturn NULL;\n"),
    ("select-biased-ignored",
     "ACHAN_SELECT_BIASED is ignored: the first case looked at is random",
     "lib/select_impl.h",
     "\treturn (sel->_flags & ACHAN_SELECT_BIASED) || sel->_n < 2 ? 0 :\n",
     "\treturn sel->_n < 2 ? 0 :\n"),
    ("select-full-is-ready",
     "a send case whose try_send answers FULL counts as ready",
     "lib/select_impl.h",
     "\t\tif (r != ACHAN_EMPTY && r != ACHAN_FULL) {\n",
     "\t\tif (r != ACHAN_EMPTY) {\n"),
    ("select-keeps-losers",
     "a select that completed leaves its other cases registered",
     "lib/select_impl.h",
     "\t\tif (j != won && case_registered(&sel->_cases[j]))\n",
     "\t\tif (0 && j != won && case_registered(&sel->_cases[j]))\n"),
    ("select-wakes-per-case",
     "a select's waker is called for every case woken, not once per PENDING",
     "lib/select_impl.h",
     "\tif (first)\n\t\twaker.wake(waker.arg);\n",
     "\t(void)first;\n\twaker.wake(waker.arg);\n"),
    ("select-repoll-keeps-old-waker",
     "a re-poll of a select keeps the waker of its first poll",
     "lib/select_impl.h",
     "\tsel->_waker = *waker;\n",
     "\tif (sel->_waker.wake == NULL)\n\t\tsel->_waker = *waker;\n"),
    ("select-state-after-ignored",
     "a select's state case takes any state, not one newer than `after`",
     "lib/select_impl.h",
     "\t\treturn achan_state_try_recv(c->obj, c->after, c->out, c->id);\n",
     "\t\treturn achan_state_try_recv(c->obj, 0, c->out, c->id);\n"),
]


def pkg(flag, mod):
    return subprocess.run(["pkg-config", flag, mod], capture_output=True,
                          text=True, check=True).stdout.strip()


def run(name, what, path, old, new, targets, top, env):
    work = tempfile.mkdtemp(prefix="achan-mutant-")
    try:
        for sub in ("lib", "include", "fuzz"):
            shutil.copytree(os.path.join(top, sub), os.path.join(work, sub))
        p = os.path.join(work, path)
        with open(p) as f:
            text = f.read()
        if text.count(old) != 1:
            return "does not apply (the source changed)", ""
        with open(p, "w") as f:
            f.write(text.replace(old, new))
        build = os.path.join(work, "build")
        os.makedirs(build)
        b = subprocess.run(["sh", os.path.join(work, "fuzz/build.sh"), work,
                            "chan", "oneshot", "state", "select"], cwd=build,
                           env=env,
                           capture_output=True, text=True)
        if b.returncode != 0 or not os.path.exists(
                os.path.join(build, "fuzz/fuzz_chan")):
            return "does not build", b.stderr[-2000:]
        env2 = dict(env, srcdir=work, ACHAN_FUZZ_TARGETS=targets)
        c = subprocess.run(["sh", os.path.join(work, "fuzz/check.sh")],
                           cwd=build, env=env2, capture_output=True,
                           text=True)
        out = c.stdout
        total = 0
        for line in out.splitlines():
            m = re.match(r"(not )?ok \d+ - (\w+): (\d+) operations", line)
            if not m:
                continue
            total += int(m.group(3))
            if m.group(1):
                mine = int(m.group(3))
                why = ""
                for l2 in out.splitlines():
                    if l2.startswith("# achan-fuzz: ") and \
                            " ops in " not in l2 and "DIVERGENCE" not in l2:
                        why = l2[len("# achan-fuzz: "):]
                        break
                    if "ERROR: AddressSanitizer" in l2 or \
                            "ERROR: LeakSanitizer" in l2 or \
                            "runtime error" in l2:
                        why = l2.lstrip("# ")
                        break
                return ("CAUGHT by fuzz_%s after %d of its operations" %
                        (m.group(2), mine), why)
        return "not caught in %d operations (%s)" % (total, targets), ""
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    top = os.getcwd()
    if not os.path.exists(os.path.join(top, "fuzz/check.sh")):
        sys.exit("run fuzz/mutants.py from the top of the source tree")
    env = dict(os.environ)
    env.setdefault("CK_CFLAGS", pkg("--cflags", "ck"))
    env.setdefault("CK_LIBS", pkg("--libs", "ck"))
    env.setdefault("URCU_CFLAGS", pkg("--cflags", "liburcu-bp"))
    env.setdefault("URCU_LIBS", pkg("--libs", "liburcu-bp"))
    want = set(sys.argv[1:])
    for name, what, path, old, new in MUTANTS:
        if want and name not in want:
            continue
        # the targets that use the mutated file (all, for shared code)
        targets = {"lib/chan_impl.h": "chan", "lib/chan.c": "chan",
                   "lib/oneshot_impl.h": "oneshot",
                   "lib/state_impl.h": "state",
                   "lib/select_impl.h": "select",
                   "lib/select_claim.h": "select",
                   "lib/select.c": "select"}.get(path, "chan oneshot state")
        if name.startswith("select-"):
            targets = "select"
        verdict, why = run(name, what, path, old, new, targets, top, env)
        print("%-32s %s" % (name, verdict))
        print("%-32s   (%s)" % ("", what))
        if why:
            print("%-32s   %s" % ("", why))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
