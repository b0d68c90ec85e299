#!/usr/bin/env python3
"""Breaks corun on purpose, one protocol at a time, and checks that a loom model or a
test catches each break: the proof that the proofs bite.

Each mutation names a file, a piece of code that must occur exactly once in it, what to
replace it with, and the check expected to fail. The script applies one mutation, builds
the check (a build failure is reported as such, never counted as caught), runs it under a
time limit (a hang the watchdog turns into an abort counts as caught), and restores the
file whatever happens. It prints a Markdown table: the mutation log in
loom-tests/README.md is its output.

    python3 loom-tests/mutations.py              # every mutation (~12 min on 2 cores)
    python3 loom-tests/mutations.py lifo leak    # those whose name contains a word given

Run it on a clean tree: it refuses to start if a mutated file has uncommitted changes.
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOM_ENV = {"RUSTFLAGS": "--cfg corun_loom", "LOOM_MAX_PREEMPTIONS": "3"}
LOOM = ["cargo", "test", "--release", "--lib", "--target-dir", "target/loom"]
TESTS = ["cargo", "test", "--release"]


@dataclass
class Check:
    label: str
    build: list
    run: list
    env: dict


def loom(model):
    return Check(f"loom `{model}`", LOOM + ["--no-run"], LOOM + [model], LOOM_ENV)


def test(binary, name):
    target = ["--test", binary]
    return Check(
        f"test `{binary}::{name}`",
        TESTS + target + ["--no-run"],
        TESTS + target + ["--", "--exact", name],
        {},
    )


def unit(name):
    lib = TESTS + ["--lib"]
    return Check(f"unit test `{name}`", lib + ["--no-run"], lib + ["--", "--exact", name], {})


@dataclass
class Mutation:
    name: str
    file: str
    old: str
    new: str
    check: Check


MUTATIONS = [
    Mutation(
        "by-ref wake of a SCHEDULED task skips the write",
        "src/task/state.rs",
        "_ if now.has(SCHEDULED) => (Wake::Nothing, Some(now)),",
        "_ if now.has(SCHEDULED) => (Wake::Nothing, None),",
        loom("loom_wake_by_ref"),
    ),
    Mutation(
        "wake (by value) during the poll forgotten",
        "src/task/state.rs",
        "                    let next = now.with(SCHEDULED).minus_ref();",
        "                    let next = now.minus_ref();",
        loom("loom_wake_while_running"),
    ),
    Mutation(
        "wake (by reference) during the poll forgotten",
        "src/task/state.rs",
        "Lifecycle::Running => (Wake::Nothing, Some(now.with(SCHEDULED))),",
        "Lifecycle::Running => (Wake::Nothing, Some(now)),",
        loom("loom_wake_by_ref"),
    ),
    Mutation(
        "lost re-queue in end_poll",
        "src/task/state.rs",
        "            if released.has(SCHEDULED) {\n                return (EndPoll::Requeue",
        "            if false {\n                return (EndPoll::Requeue",
        loom("loom_wake_while_running"),
    ),
    Mutation(
        "reference release weakened to Release",
        "src/task/state.rs",
        "self.0.fetch_sub(count * REF_ONE, AcqRel)",
        "self.0.fetch_sub(count * REF_ONE, Release)",
        loom("loom_abort_complete_drop"),
    ),
    Mutation(
        "reference release weakened to Relaxed",
        "src/task/state.rs",
        "self.0.fetch_sub(count * REF_ONE, AcqRel)",
        "self.0.fetch_sub(count * REF_ONE, Relaxed)",
        loom("loom_abort_complete_drop"),
    ),
    Mutation(
        "JoinHandle drop skips dropping a finished output",
        "src/task/harness.rs",
        "if dropped.drop_output {",
        "if false && dropped.drop_output {",
        test("join_handle", "dropping_the_handle_drops_a_finished_output_at_once"),
    ),
    Mutation(
        "producer's SeqCst fence removed (worker_to_notify)",
        "src/executor/idle.rs",
        "        crate::sync::atomic::fence(SeqCst);\n",
        "",
        loom("loom_idle_fences"),
    ),
    Mutation(
        "parking worker's SeqCst fence removed (has_work)",
        "src/executor/shared.rs",
        "        fence(SeqCst);\n        !self.inject.is_empty()",
        "        !self.inject.is_empty()",
        loom("loom_idle_lost_wakeup"),
    ),
    Mutation(
        "the re-check before parking skipped",
        "src/executor/shared.rs",
        "if must_recheck && self.has_work() {",
        "if false && must_recheck && self.has_work() {",
        loom("loom_idle_lost_wakeup"),
    ),
    Mutation(
        "a worker that parks without searching skips the re-check (the bug loom found)",
        "src/executor/idle.rs",
        "!is_searching || prev.searching() == 1",
        "is_searching && prev.searching() == 1",
        loom("loom_worker_remote_spawn"),
    ),
    Mutation(
        "the last searcher to find work does not hand the search on",
        "src/executor/worker.rs",
        "            if self.shared().idle.transition_worker_from_searching() {\n"
        "                self.shared().notify_parked();\n            }",
        "            let _ = self.shared().idle.transition_worker_from_searching();",
        loom("loom_worker_remote_spawn"),
    ),
    Mutation(
        "a spawn into the local queue notifies no one",
        "src/executor/worker.rs",
        "        cx.queue.push(displaced);\n        shared.notify_parked();",
        "        cx.queue.push(displaced);",
        loom("loom_worker_local_spawn"),
    ),
    Mutation(
        "busy workers check the injector on a fixed 61-tick interval",
        "src/executor/pacer.rs",
        "        self.interval = (target / self.tick_nanos.max(1)).clamp(1, u64::from(MAX_INTERVAL)) as u32;",
        "        let _ = target;\n        self.interval = MAX_INTERVAL;",
        test("responsiveness", "a_wake_from_outside_is_served_under_yield_loops"),
    ),
    Mutation(
        "a driver that wakes to run tasks keeps the driving role",
        "src/timer/driver.rs",
        "    fn after_park(&self) {\n        self.release_driving();",
        "    fn after_park(&self) {",
        test("responsiveness", "a_driver_that_runs_a_long_task_hands_the_timers_over"),
    ),
    Mutation(
        "the last worker to park does not move the paused clock on",
        "src/executor/shared.rs",
        "        if parked.last_out && self.went_idle() {",
        "        if false && parked.last_out && self.went_idle() {",
        loom("loom_timer_auto_advance"),
    ),
    Mutation(
        "the end of the last blocking job does not move the paused clock on",
        "src/executor/shared.rs",
        "        if self.clock_control && self.idle.end_busy() {",
        "        if self.clock_control && self.idle.end_busy() && false {",
        test("time", "auto_advance_waits_for_running_and_queued_blocking_closures"),
    ),
    Mutation(
        "the LIFO slot's take reads then clears instead of swapping",
        "src/task/slot.rs",
        "        let taken = self.task.swap(ptr::null_mut(), AcqRel);",
        "        let taken = self.task.load(Acquire);\n        let _ = self.task.swap(ptr::null_mut(), AcqRel);",
        loom("loom_lifo_steal"),
    ),
    Mutation(
        "nobody watches an occupied LIFO slot",
        "src/executor/lifo.rs",
        "        if !wanted || self.lifo_watch.swap(WATCHING, Acquire) == WATCHING {",
        "        if true {",
        test("responsiveness", "a_task_woken_into_the_lifo_slot_is_not_stranded_behind_a_long_poll"),
    ),
    Mutation(
        "a ready JoinHandle spends no budget",
        "src/task/join.rs",
        "        ready!(coop::poll_spend(cx));\n",
        "",
        test("responsiveness", "a_loop_over_finished_handles_lets_a_sibling_run"),
    ),
    Mutation(
        "unpark notifies without the lock hand-off",
        "src/executor/park.rs",
        "        drop(self.lock.lock());\n        self.condvar.notify_one();",
        "        self.condvar.notify_one();",
        loom("loom_park_unpark"),
    ),
    Mutation(
        "injector push ignores CLOSED",
        "src/executor/inject.rs",
        "if prev & CLOSED != 0 {",
        "if false && prev & CLOSED != 0 {",
        loom("loom_inject_close"),
    ),
    Mutation(
        "arming an earlier timer does not check the driver's deadline",
        "src/timer/driver.rs",
        "if deadline.saturating_add(SLACK_NANOS) < self.driver_deadline.load(SeqCst) {",
        "if false {",
        loom("loom_timer_park_deadline"),
    ),
    Mutation(
        "group accepts a spawn after it failed",
        "src/group/state.rs",
        "        if synced.phase != Phase::Open {\n            synced.cancelled += 1;",
        "        if false {\n            synced.cancelled += 1;",
        loom("loom_group_fail_vs_spawn"),
    ),
    Mutation(
        "shutdown forgets to cancel the listed tasks",
        "src/task/list.rs",
        "                task.shutdown();",
        "                drop(task);",
        loom("loom_shutdown"),
    ),
    Mutation(
        "shutdown forgets to cancel the listed tasks (integration)",
        "src/task/list.rs",
        "                task.shutdown();",
        "                drop(task);",
        test("shutdown", "drop_drops_every_pending_task_once"),
    ),
    Mutation(
        "owner list: unlinking leaves the predecessor pointing at the task",
        "src/task/list.rs",
        "Some(prev) => links(prev).next.with_mut(|link| *link = next),",
        "Some(_) => {}",
        loom("neighbours_unlink_racing_with_close"),
    ),
    Mutation(
        "a firing pass stores the hint it found, overwriting a racing arm's lower one",
        "src/timer/driver.rs",
        "            self.earliest.fetch_min(next, AcqRel);",
        "            self.earliest.store(next, Release);",
        loom("an_arm_racing_with_a_pass_keeps_the_hint_low"),
    ),
    Mutation(
        "an urgent child counts itself before it is listed, outside the lock",
        "src/combinators/done.rs",
        "            let mut listed = self.listed.lock();\n            listed.urgent.push(index);\n"
        "            self.finished.fetch_add(1, Relaxed);\n",
        "            self.finished.fetch_add(1, Relaxed);\n            let mut listed = self.listed.lock();\n"
        "            listed.urgent.push(index);\n",
        loom("an_urgent_child_is_taken_before_the_sweep"),
    ),
    Mutation(
        "the last child to count does not wake the combinator",
        "src/combinators/done.rs",
        "        if finished < self.children {\n            return None;\n        }",
        "        if finished <= self.children {\n            return None;\n        }",
        loom("an_urgent_child_is_taken_before_the_sweep"),
    ),
    Mutation(
        "LIFO slot uncapped",
        "src/executor/worker.rs",
        "for _ in 0..MAX_LIFO_POLLS {",
        "for _ in 0.. {",
        test("yield_fairness", "ping_pong_pair_does_not_starve_a_third_task"),
    ),
    Mutation(
        "a worker leaves its queue full when it exits (the shutdown leak)",
        "src/executor/worker.rs",
        "    while let Some(task) = cx.queue.pop() {\n        drop(task);\n    }\n",
        "",
        test("leak", "dropped_runtimes_give_every_byte_back"),
    ),
    Mutation(
        "a panicking timer waker is not caught",
        "src/timer/driver.rs",
        "crate::task::wake_any(waker);",
        "waker.wake();",
        test("callback_panics", "a_panicking_timer_waker_on_one_worker"),
    ),
    Mutation(
        "an EnterGuard restores by position, not by identity",
        "src/executor/context.rs",
        "let index = entered.iter().rposition(|(id, _)| *id == self.id)?;",
        "let index = entered.len().checked_sub(1)?;",
        test("spawn", "enter_guards_dropped_out_of_order_restore_the_right_runtime"),
    ),
    Mutation(
        "a park that finds a token erases it with a store, not a swap",
        "src/executor/park.rs",
        "                self.state.swap(EMPTY, SeqCst);\n                false",
        "                self.state.store(EMPTY, SeqCst);\n                false",
        loom("loom_park_unpark::two_unparks_racing_with_a_park"),
    ),
    Mutation(
        "a poll that ends inside a shield cancels anyway",
        "src/task/state.rs",
        "            if now.must_cancel() {\n                return (EndPoll::Cancel, None);",
        "            if now.is_cancelled() {\n                return (EndPoll::Cancel, None);",
        loom("loom_shield::abort_waits_for_the_shielded_section"),
    ),
    Mutation(
        "a shielded task woken after an abort is cancelled instead of polled",
        "src/task/state.rs",
        "let action = if now.must_cancel() {",
        "let action = if now.is_cancelled() {",
        loom("loom_shield::abort_waits_for_the_shielded_section"),
    ),
    Mutation(
        "the last shield, ending off its task, does not queue the held-back cancel",
        "src/task/state.rs",
        "if idle && next.must_cancel() {",
        "if false && next.must_cancel() {",
        loom("loom_shield::a_shield_ending_off_the_task_lets_the_abort_through"),
    ),
    Mutation(
        "shutdown of a running task respects its shields",
        "src/task/state.rs",
        "(ShutdownClaim::Nothing, Some(now.with(CANCELLED | SHUTDOWN)))",
        "(ShutdownClaim::Nothing, Some(now.with(CANCELLED)))",
        test("shield", "a_shielded_task_that_drops_its_own_runtime_is_still_cancelled"),
    ),
    Mutation(
        "a clear after WouldBlock ignores the tick (a report since is cleared)",
        "src/io/readiness.rs",
        "        while current & cleared != 0 && current >> TICK_SHIFT == tick.0 {",
        "        let _ = tick;\n        while current & cleared != 0 {",
        loom("loom_io_readiness::a_report_racing_with_a_would_block_is_not_cleared"),
    ),
    Mutation(
        "a reader that files its waker does not read the word again",
        "src/io/readiness.rs",
        "        match decode(self.state.load(Acquire)) {\n            Some(ready) => Poll::Ready(ready),\n"
        "            None => Poll::Pending,\n        }",
        "        Poll::Pending",
        loom("loom_io_readiness::a_report_racing_with_a_would_block_is_not_cleared"),
    ),
    Mutation(
        "the clear after a short read takes CLOSED away with READY",
        "src/io/readiness.rs",
        "            Drained::Short => READY,",
        "            Drained::Short => READY | CLOSED,",
        loom("loom_io_readiness::a_closing_report_survives_the_clear_after_a_short_read"),
    ),
    Mutation(
        "a WouldBlock leaves CLOSED set (every later operation spins on WouldBlock)",
        "src/io/readiness.rs",
        "            Drained::WouldBlock => READY | CLOSED,",
        "            Drained::WouldBlock => READY,",
        unit("io::readiness::tests::a_would_block_clears_a_closing_report_and_a_short_transfer_does_not"),
    ),
    Mutation(
        "shutdown sets the word but wakes no waiter",
        "src/io/readiness.rs",
        "        self.state.fetch_or(SHUTDOWN, AcqRel);\n        self.take_wakers(wakers);",
        "        self.state.fetch_or(SHUTDOWN, AcqRel);\n        let _ = wakers;",
        loom("loom_io_readiness::shutdown_racing_with_a_waiter_ends_the_wait_with_an_error"),
    ),
    Mutation(
        "an unpark that finds POLLING does not wake the poller",
        "src/executor/park.rs",
        "                if let Some(poller) = &self.poller {\n                    poller.wake();\n                }",
        "                let _ = &self.poller;",
        loom("loom_park_polling::unpark_racing_with_a_polling_park_is_never_lost"),
    ),
    Mutation(
        "an unpark that finds POLLING does not wake the poller (the timer's unpark)",
        "src/executor/park.rs",
        "                if let Some(poller) = &self.poller {\n                    poller.wake();\n                }",
        "                let _ = &self.poller;",
        loom("loom_park_polling::an_earlier_timer_wakes_the_driver_in_its_poller"),
    ),
    Mutation(
        "park_polling polls without publishing POLLING",
        "src/executor/park.rs",
        "match self.state.compare_exchange(EMPTY, POLLING, SeqCst, SeqCst) {",
        "match self.state.compare_exchange(EMPTY, EMPTY, SeqCst, SeqCst) {",
        loom("loom_park_polling::unpark_racing_with_a_polling_park_is_never_lost"),
    ),
    Mutation(
        "park_polling leaves POLLING with a store, not a swap",
        "src/executor/park.rs",
        "        poller.poll(timeout);\n        // Leave POLLING, consuming the token of an unpark that raced with the return.\n"
        "        self.state.swap(EMPTY, SeqCst);",
        "        poller.poll(timeout);\n        self.state.store(EMPTY, SeqCst);",
        loom("loom_park_polling::two_unparks_racing_with_a_polling_park"),
    ),
    Mutation(
        "park_polling that finds a token erases it with a store, not a swap",
        "src/executor/park.rs",
        "                self.state.swap(EMPTY, SeqCst);\n                return;",
        "                self.state.store(EMPTY, SeqCst);\n                return;",
        loom("loom_park_polling::two_unparks_racing_with_a_polling_park"),
    ),
    Mutation(
        "a busy worker's zero-timeout poll drops the driving worker's wake-up",
        "src/io/driver.rs",
        "            *wake_kept = true;",
        "            *wake_kept = false;",
        unit("io::driver::tests::a_wake_taken_by_a_busy_poll_is_kept_for_the_driver"),
    ),
    Mutation(
        "a busy worker never rescues the queue of a peer stuck in one poll",
        "src/executor/rescue.rs",
        "            if !stuck {\n                continue;",
        "            if true {\n                continue;",
        test("responsiveness", "tasks_queued_behind_a_long_poll_are_taken_by_a_busy_peer"),
    ),
    Mutation(
        "busy workers poll the sockets at every check, ignoring the floor",
        "src/io/driver.rs",
        "            if recent {\n                return false;",
        "            if false && recent {\n                return false;",
        unit("io::driver::tests::busy_polls_come_no_closer_than_the_floor"),
    ),
    Mutation(
        "the driver reports a hang-up as plain readiness (no CLOSED)",
        "src/io/driver.rs",
        "let read_closed = event.is_read_closed() || event.is_error();",
        "let read_closed = false;",
        test("net_errors", "the_end_reported_with_the_last_bytes_survives_the_short_read_of_them"),
    ),
    Mutation(
        "the result is written over a stage whose future was never dropped",
        "src/task/harness.rs",
        "        let result = self.drop_future_then(result);\n        self.store_result(result);",
        "        self.store_result(result);",
        test("join_handle", "a_finished_future_is_dropped_once_before_its_output_is_read"),
    ),
    Mutation(
        "the last reference leaves a never-completed future in its stage",
        "src/task/harness.rs",
        "        } else {\n            unwind::call(UserCode::FutureDrop, || {",
        "        } else if false {\n            unwind::call(UserCode::FutureDrop, || {",
        unit("task::stage::tests::a_task_freed_before_it_ran_drops_its_future_once"),
    ),
    Mutation(
        "a task with metadata is freed as a bare cell",
        "src/task/raw.rs",
        "        if self.header().vtable.meta_offset == 0 {",
        "        if true || self.header().vtable.meta_offset == 0 {",
        test("memory", "idle_tasks_and_pending_sleeps_are_small_and_give_their_memory_back"),
    ),
    Mutation(
        "a named task's site forgets to free its name",
        "src/task/site.rs",
        "        if let Some(ptr) = self.named_ptr() {",
        "        if let Some(ptr) = self.named_ptr().filter(|_| false) {",
        test("memory", "idle_tasks_and_pending_sleeps_are_small_and_give_their_memory_back"),
    ),
    Mutation(
        "the worker drops the poller's wakers instead of waking them",
        "src/executor/shared.rs",
        "                woken.drain(..).for_each(task::wake_any);",
        "                woken.clear();",
        test(
            "async_fd",
            "a_write_from_another_thread_wakes_the_task_while_the_worker_sleeps_in_the_poller",
        ),
    ),
    Mutation(
        "an empty-wheel fast path taken with one timer still filed",
        "src/timer/wheel.rs",
        "    pub(crate) fn next_expiration(&self) -> Option<u64> {\n        if self.pending == 0 {",
        "    pub(crate) fn next_expiration(&self) -> Option<u64> {\n        if self.pending <= 1 {",
        test("time", "a_one_hour_sleep_on_two_workers_takes_exactly_one_virtual_hour"),
    ),
    Mutation(
        "the injector's pre-check turned around (a full queue reads as empty)",
        "src/executor/inject.rs",
        "        if self.queue.is_empty() {",
        "        if !self.queue.is_empty() {",
        test("spawn", "spawn_from_plain_threads_via_runtime_and_handle"),
    ),
    Mutation(
        "AsyncFd::new leaves the descriptor blocking",
        "src/io/async_fd.rs",
        "        set_nonblocking(inner.as_fd())?;",
        "        let _ = set_nonblocking;",
        test("async_fd", "read_with_waits_for_data_and_write_with_retries_until_there_is_room"),
    ),
    Mutation(
        "a host name is looked up inline, on the worker",
        "src/net/addr.rs",
        "            Addrs::Lookup(host_port) => crate::spawn_blocking(move || {\n"
        "                std::net::ToSocketAddrs::to_socket_addrs(&host_port)\n"
        "                    .map(|addrs| AddrIter::Many(addrs.collect::<Vec<_>>().into_iter()))\n"
        "            })\n"
        "            .await\n"
        "            .map_err(|err| io::Error::other(format!(\"the name look-up task failed: {err}\")))?,",
        "            Addrs::Lookup(host_port) => std::net::ToSocketAddrs::to_socket_addrs(&host_port)\n"
        "                .map(|addrs| AddrIter::Many(addrs.collect::<Vec<_>>().into_iter())),",
        test("net_tcp", "a_name_is_looked_up_on_the_blocking_pool_and_an_address_is_not"),
    ),
]


def run(cmd, env, limit):
    """Exit status of `cmd` (124 if it ran past `limit` seconds) and its output's tail."""
    try:
        done = subprocess.run(
            cmd,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=limit,
        )
        return done.returncode, done.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as expired:
        return 124, (expired.stdout or b"").decode(errors="replace")


def failure_line(output):
    """What best says why a check failed: the panic's message (the line after "panicked
    at"), a watchdog's verdict, or the first failure marker."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if "panicked at" in line and index + 1 < len(lines):
            return lines[index + 1].strip()[:140]
    for marker in ("watchdog:", "corun:", "deadlock", "assertion", "signal:", "FAILED"):
        for line in lines:
            if marker in line:
                return line.strip()[:140]
    return "(no message)"


def apply_one(mutation):
    path = os.path.join(ROOT, mutation.file)
    with open(path) as f:
        original = f.read()
    if original.count(mutation.old) != 1:
        return "stale", f"the code to mutate occurs {original.count(mutation.old)} times"
    try:
        with open(path, "w") as f:
            f.write(original.replace(mutation.old, mutation.new))
        status, output = run(mutation.check.build, mutation.check.env, 900)
        if status != 0:
            return "build failed", failure_line(output)
        status, output = run(mutation.check.run, mutation.check.env, 300)
        if status == 0:
            return "MISSED", "the check passed with the mutation in place"
        if status == 124:
            return "caught", "hung (stopped at the time limit)"
        return "caught", failure_line(output)
    finally:
        with open(path, "w") as f:
            f.write(original)


def main():
    words = sys.argv[1:]
    chosen = [m for m in MUTATIONS if not words or any(w in m.name for w in words)]
    files = sorted({m.file for m in chosen})
    dirty = subprocess.run(["git", "status", "--porcelain", "--"] + files, cwd=ROOT,
                           stdout=subprocess.PIPE).stdout.decode().strip()
    if dirty:
        sys.exit(f"uncommitted changes in files this would mutate:\n{dirty}")
    print("| mutation | file | caught by | result |")
    print("|---|---|---|---|")
    missed = 0
    for mutation in chosen:
        started = time.time()
        verdict, detail = apply_one(mutation)
        missed += verdict != "caught"
        detail = detail.replace("|", "\\|")
        print(f"| {mutation.name} | `{mutation.file}` | {mutation.check.label} | "
              f"{verdict}: {detail} ({time.time() - started:.0f} s) |", flush=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
