/*
 * K2's two-state software DSM as Archipelago implements it (kernel-node, io.archipelago.kernel.dsm).
 * Keep this model in step with DsmService: same message types, same directory rules.
 *
 * N kernels share P pages of a software-coherent region. Each kernel has, per page, a state
 * (INVALID, PENDING = its request is in flight, VALID) and a private copy (its emulated,
 * non-coherent cache). Global memory (DRAM) holds the last written-back contents, and the
 * page directory: (holder, version) per page, changed only by compare-and-set, so that exactly
 * one kernel wins every change of holder.
 *
 * A requester whose page is INVALID becomes PENDING (until the page is VALID) and reads the directory:
 *   - no holder (or itself, after a restart): CAS the directory to itself, load from DRAM;
 *   - holder h: send GET_EXCLUSIVE(page) to h over the mailbox and wait for the answer:
 *       PUT_EXCLUSIVE   h wrote the page back, made it INVALID and moved the directory to us;
 *                       our interrupt handler loaded it and made it VALID;
 *       (no answer yet) h holds it but has not used it once: h defers the request, and h's thread
 *                       answers PUT_EXCLUSIVE right after its access;
 *       DSM_BUSY        h is itself getting it (PENDING), or another requester already waits: retry;
 *       DSM_NOT_HOLDER  h does not hold it; if the directory still names h, h lost it (a restart):
 *                       CAS the directory from h to us and load the last written-back contents.
 * The holder's interrupt handler never blocks and never waits for a normal thread. A thread uses
 * a page for USE accesses at memory speed: it pins the page once, atomically with the check that
 * it is VALID (the pin count in the code), accesses it with no further check, and at its quiescent
 * point (the end of a batch, of a scheduler step) either keeps the pin into another USE accesses
 * (only if no GET_EXCLUSIVE waits for the page: HeldPages.quiesce; at most KEEP times; a scheduler
 * slice is one use, kept from one step to the next, let go at its end or before its core parks,
 * which is a quiescent point that never keeps) or lets it
 * go and answers a GET_EXCLUSIVE the handler deferred meanwhile (a holder gives the page up once
 * its use ends and never waits on the requester); every access of the use asserts the page is still VALID and
 * named by the directory. A page obtained but not yet used once is never given away (no livelock
 * in ping-pong). A thread uses one page at a time: it lets its held pages go before it faults
 * another in (no hold-and-wait between kernels). Not modelled: the stripe lock of an exclusive
 * section, which a use keeps with the section's page; it orders one kernel's own threads, never
 * waits on another kernel, and goes at the same quiescent points as the page's pin.
 *
 * Checked (see DsmModelCheckTest): every assertion (at most one VALID holder per page; a
 * kernel that loads a page sees the newest write: no lost update), no invalid end state
 * (no deadlock, every request answered and every access completed), channels of the mailbox's
 * FIFO depth.
 *
 * Late answers (-DLATE): a requester may give up waiting for an answer (its deadline), stays PENDING
 * and looks at the directory again, while the answer is still on its way: any request at most
 * TIMEOUTS times (a slow host), and a request its peer deferred (the answer waits for the peer's
 * own access, which may wait for a page this requester is getting) at every deadline, as the code's
 * requester does: that is how two kernels that deferred each other's GET_EXCLUSIVE get out (one
 * gives up, finds the directory naming it after a late PUT_EXCLUSIVE, and claims the page). Words
 * carry a sequence number (S of them per ordered pair, reused as soon as they are free). As
 * implemented, an answer goes to the waiting request only when it comes from the peer asked, with
 * the request's sequence number and the page asked (the frame in PUT_EXCLUSIVE and in the NACK),
 * and the number of a request that gave up is quarantined until its late answer comes (which is
 * then dropped). The code's PeerQueue also ends a quarantine after 30 s without the late answer;
 * the model does not (a model where any quarantine may end at any time did not finish within 17
 * GB). -DNOCHECK models the mailbox before that: any answer with the waiting request's sequence
 * number completes it, numbers are reused at once, and give-ups are bounded by TIMEOUTS; spin then
 * finds a late PUT_EXCLUSIVE about one page taken for the answer about another (holder[p] == k
 * violated).
 *
 * Runs (2-core machine, 24 GiB). KEEP=0 is the model before pins were kept across quiescent points
 * (a use let its pin go at every one); runs with it say so, the others keep pins (KEEP=1):
 *   spin -a -DACCESSES=1 -DKEEP=0 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c; ./pan -m100000
 *       exhaustive, 2.8 million states, 3 s                                  (CI, DsmModelCheckTest)
 *   the same with KEEP=1: 11.2 million states, 3.3 GB, 2 min 15 s at load 35 (by hand)
 *   spin -a -DACCESSES=1 -DKEEP=0 dsm.pml; gcc -w -O2 -DNFAIR=4 -DCOLLAPSE -o pan pan.c; ./pan -a -f -m500000
 *       liveness under weak fairness, 2.8 million states, 39 s               (CI, DsmModelCheckTest)
 *   the same with KEEP=1: not finished after 8 min at load 35 (48 million states): not checked
 *   spin -a -DN=2 -DACCESSES=2 dsm.pml; gcc -w -O2 -DNFAIR=3 -DCOLLAPSE -o pan pan.c; ./pan -a -f -m500000
 *       kept pins, liveness under weak fairness, 1.3 million states, 66 s at load 30  (CI, DsmModelCheckTest)
 *   spin -a -DP=1 -DACCESSES=2 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c; ./pan -m200000
 *       exhaustive, 30 million states, 75 s, 6 GB                            (by hand)
 *   spin -a -DN=2 -DACCESSES=2 -DLATE -DKEEP=0 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -DCOLLAPSE -o pan pan.c; ./pan -m200000
 *       late answers, exhaustive, 12.5 million states, 630 MB, 107 s at load 25 (15 s of CPU)  (CI, DsmModelCheckTest)
 *   the same with KEEP=1: over 35 million states and 2 GB after 7 min at load 35: not checked
 *   the same with -DNOCHECK: an assertion violated, 3 s (CI: must fail); with KEEP=1 after 7.1 million states, 1 min 45 s
 *   spin -a -DN=2 -DACCESSES=1 -DLATE dsm.pml; gcc -w -O2 -DNFAIR=3 -DCOLLAPSE -o pan pan.c; ./pan -a -f -m500000
 *       late answers, kept pins, liveness under weak fairness, 92,353 states, 9 s at load 35 (KEEP=0: 32,853, 1 s)  (CI)
 *   the same with -DACCESSES=2 -DKEEP=0: 12.5 million states, 1.3 GB, 6 min 47 s at load 25 (2 min of CPU)
 *       (by hand: DsmModelCheckTest with -Darchipelago.model.full=true). Before a deferred request could give up
 *       at every deadline, an acceptance cycle: a requester that gave up its TIMEOUTS already waited forever on a GET
 *       its peer deferred while itself PENDING, after a late PUT_EXCLUSIVE that moved the directory to it was dropped.
 *   spin -a -DN=2 -DACCESSES=2 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c; ./pan -m200000
 *       a kernel uses a page again while another asks for it, kept pins: exhaustive, 1.3 million states, 17 s
 *       (KEEP=0: 152 thousand)                                               (CI)
 *   the same with -DNOPIN (the handler ignores a use's pin): an assertion violated after 5,632 states (CI: must fail)
 *   N=3 with -DLATE (one access each) did not finish in 10 minutes: not checked
 */

#ifndef N
#define N 3
#endif
#ifndef P
#define P 2
#endif
#ifndef DEPTH
#define DEPTH 4
#endif
#ifndef ACCESSES
#define ACCESSES 2
#endif
/* loads and stores in one use of a page: pinned once at its start, let go at the quiescent point after them */
#ifndef USE
#define USE 2
#endif
/* quiescent points at which a use keeps its pin into another use of the page (no request waiting) */
#ifndef KEEP
#define KEEP 1
#endif

/* sequence numbers per ordered pair (the mailbox has 16; with late answers 2 make reuse come soon, without 1 is enough) */
#ifndef S
#ifdef LATE
#define S 2
#else
#define S 1
#endif
#endif
/* how many times each requester may give up waiting for an answer (LATE only) */
#ifndef TIMEOUTS
#define TIMEOUTS 1
#endif

#define NONE 255
#define INVALID 0
#define PENDING 1
#define VALID 2
#define at(k, p) ((k) * P + (p))

mtype = { GET_EXCLUSIVE, PUT_EXCLUSIVE, DSM_BUSY, DSM_NOT_HOLDER, GAVE_UP };

/* one mailbox queue per ordered pair of kernels: mailbox[from * N + to]; words carry (type, page, sequence number) */
chan mailbox[N * N] = [DEPTH] of { mtype, byte, byte };
/* the interrupt handler hands answers to the waiting requester */
chan answer[N] = [1] of { mtype, byte };

/* The request each requester waits for: its page, peer and sequence number (wantPage NONE: none). */
byte wantPage[N];
byte wantPeer[N];
byte wantSeq[N];
/* the next sequence number per ordered pair, and those quarantined after their request gave up */
byte nextSeq[N * N];
bool quarantined[N * N * S];
#define q(k, h, s) ((k) * N * S + (h) * S + (s))

byte holder[P];
byte version[P];
byte dram[P];
byte newest[P];

byte state[N * P];
bool used[N * P];
/* a use of the page is open on this kernel: pinned since its first access, until its quiescent point */
bool pinned[N * P];
byte copy[N * P];
/* a GET_EXCLUSIVE the holder could not answer yet (page not used once): the requester, or NONE, and its sequence number */
byte deferredFrom[N * P];
byte deferredSeq[N * P];
byte done;

inline load(k, p) {
    copy[at(k, p)] = dram[p];
    assert(copy[at(k, p)] == newest[p]);
    state[at(k, p)] = VALID;
    used[at(k, p)] = false
}

/* USE writes to a page this thread has pinned: no check, no atomic; each asserts the page is still here */
inline useAtMemorySpeed(k, p, u) {
    u = 0;
    do
    :: u < USE ->
        atomic {
            assert(state[at(k, p)] == VALID && holder[p] == k);
            copy[at(k, p)]++;
            newest[p] = copy[at(k, p)];
            u++
        }
    :: else -> break
    od
}

inline checkSingleHolder(p) {
#if N > 2
    assert((state[at(0, p)] == VALID) + (state[at(1, p)] == VALID) + (state[at(2, p)] == VALID) <= 1)
#else
    assert((state[at(0, p)] == VALID) + (state[at(1, p)] == VALID) <= 1)
#endif
}

proctype Handler(byte k) {
    byte from, p, s;
    mtype m;
    bool moved, mine;
    from = 0;
    /* The interrupt context serves its incoming queues in turn (as the event loop does), so that
       no sender is starved. */
end:
    do
    :: atomic { len(mailbox[from * N + k]) > 0 -> mailbox[from * N + k]?m, p, s }; goto handle
    :: atomic { len(mailbox[from * N + k]) == 0 -> from = (from + 1) % N }
    od;
handle:
    if
    :: m == GET_EXCLUSIVE ->
        if
#ifdef NOPIN
        /* a handler that ignores the pin of an open use (must fail: the use's next write finds the page gone) */
        :: atomic { state[at(k, p)] == VALID && used[at(k, p)] && deferredFrom[at(k, p)] == NONE ->
#else
        :: atomic { state[at(k, p)] == VALID && used[at(k, p)] && !pinned[at(k, p)] && deferredFrom[at(k, p)] == NONE ->
#endif
               /* revoke: write back, invalidate, move the directory to the requester */
               dram[p] = copy[at(k, p)];
               state[at(k, p)] = INVALID;
               if
               :: holder[p] == k -> holder[p] = from; version[p]++; moved = true
               :: else -> moved = false
               fi
           };
           if
           :: moved -> mailbox[k * N + from]!PUT_EXCLUSIVE, p, s
           :: else -> mailbox[k * N + from]!DSM_NOT_HOLDER, p, s
           fi
        :: atomic { (state[at(k, p)] == PENDING || (state[at(k, p)] == VALID && (!used[at(k, p)] || pinned[at(k, p)]))) && deferredFrom[at(k, p)] == NONE ->
               /* not used once yet, in use (pinned), or being obtained here: defer; this kernel's thread answers at its quiescent point */
               deferredFrom[at(k, p)] = from;
               deferredSeq[at(k, p)] = s
           }
        :: (state[at(k, p)] == PENDING || state[at(k, p)] == VALID) && deferredFrom[at(k, p)] != NONE ->
           mailbox[k * N + from]!DSM_BUSY, p, s
        :: state[at(k, p)] == INVALID ->
           mailbox[k * N + from]!DSM_NOT_HOLDER, p, s
        fi
    :: else ->
#ifdef LATE
        /* An answer: to the waiting request only if it is the one it answers. Fixed: same peer, same
           sequence number (never reused while quarantined) and same page. NOCHECK, as before the fix:
           any answer with the waiting request's sequence number, numbers reused at once. */
        atomic {
#ifdef NOCHECK
            mine = wantPage[k] != NONE && wantPeer[k] == from && wantSeq[k] == s;
#else
            mine = wantPage[k] == p && wantPeer[k] == from && wantSeq[k] == s;
            if
            :: !mine && quarantined[q(k, from, s)] -> quarantined[q(k, from, s)] = false   /* the late answer: dropped */
            :: else -> skip
            fi;
#endif
            if
            :: mine ->
                p = wantPage[k];   /* NOCHECK: the requester takes it for an answer about its own page */
                wantPage[k] = NONE;
                if
                :: m == PUT_EXCLUSIVE ->
                    assert(state[at(k, p)] == PENDING);
                    assert(holder[p] == k);
                    load(k, p);
                    checkSingleHolder(p)
                :: else -> skip
                fi
            :: else -> skip
            fi
        };
        if
        :: mine -> answer[k]!m, p
        :: else -> skip
        fi
#else
        /* without timeouts every answer is the waiting request's */
        if
        :: m == PUT_EXCLUSIVE ->
            atomic {
                assert(state[at(k, p)] == PENDING);
                assert(holder[p] == k);
                load(k, p);
                checkSingleHolder(p)
            }
        :: else -> skip
        fi;
        answer[k]!m, p
#endif
    fi;
    from = (from + 1) % N;
    goto end
}

proctype Requester(byte k) {
    byte p, h, v, n, a, r, rs, s, gaveUp, u, kept;
    mtype m;
    bool accessed, moved;
    n = 0;
    do
    :: n < ACCESSES ->
        select(p : 0 .. P - 1);
        accessed = false;
        do
        :: accessed -> break
        :: else ->
            atomic {
                if
                :: state[at(k, p)] == VALID ->
                    /* the use begins: the page is pinned, atomically with the page-state check */
                    pinned[at(k, p)] = true;
                    accessed = true
                :: else -> h = holder[p]; v = version[p]
                fi
            };
            if
            :: accessed ->
                /* the use: USE writes at memory speed, no check and no atomic per access; the pin keeps the page
                   here (a GET_EXCLUSIVE meanwhile is deferred), which each write asserts */
                useAtMemorySpeed(k, p, u);
                /* a quiescent point where no GET_EXCLUSIVE waits for the page: the thread may keep its pin into
                   its next use of the page (the next batch at memory speed from its first access), at most KEEP
                   times here; once a request waits, or when the thread is done with the page, the pin goes */
                kept = 0;
                do
                :: atomic { kept < KEEP && deferredFrom[at(k, p)] == NONE -> kept++ };
                   useAtMemorySpeed(k, p, u)
                :: break
                od;
                /* the quiescent point: the pin goes, the page has been used; answer a deferred GET_EXCLUSIVE from this thread */
                atomic {
                    pinned[at(k, p)] = false;
                    used[at(k, p)] = true;
                    if
                    :: deferredFrom[at(k, p)] != NONE ->
                        r = deferredFrom[at(k, p)];
                        rs = deferredSeq[at(k, p)];
                        deferredFrom[at(k, p)] = NONE;
                        dram[p] = copy[at(k, p)];
                        state[at(k, p)] = INVALID;
                        if
                        :: holder[p] == k -> holder[p] = r; version[p]++; moved = true
                        :: else -> moved = false
                        fi
                    :: else -> r = NONE
                    fi
                };
                if
                :: r != NONE && moved -> mailbox[k * N + r]!PUT_EXCLUSIVE, p, rs
                :: r != NONE && !moved -> mailbox[k * N + r]!DSM_NOT_HOLDER, p, rs
                :: else -> skip
                fi
            :: else ->
                if
                :: h == NONE || h == k ->
                    /* the requester is PENDING from its first attempt until the page is VALID */
                    state[at(k, p)] = PENDING;
                    atomic {
                        if
                        :: holder[p] == h && version[p] == v ->
                            holder[p] = k; version[p]++; load(k, p); checkSingleHolder(p)
                        :: else -> skip
                        fi
                    }
                :: else ->
                    state[at(k, p)] = PENDING;
#ifdef LATE
                    /* a sequence number that is not quarantined (all are only while late answers are on their way) */
                    atomic {
                        s = nextSeq[k * N + h];
                        if
                        :: quarantined[q(k, h, s)] -> s = (s + 1) % S
                        :: else -> skip
                        fi;
                        !quarantined[q(k, h, s)];
                        nextSeq[k * N + h] = (s + 1) % S;
                        wantPage[k] = p; wantPeer[k] = h; wantSeq[k] = s
                    };
#endif
                    mailbox[k * N + h]!GET_EXCLUSIVE, p, s;
                    if
                    :: answer[k]?m, a
#ifdef LATE
#ifdef NOCHECK
                    :: atomic { wantPage[k] != NONE && gaveUp < TIMEOUTS ->
#else
                    /* any request may give up (a slow host) at most TIMEOUTS times; one the peer deferred, whose answer
                       waits for the peer's own access, at every deadline, as the code's does */
                    :: atomic { wantPage[k] != NONE && (gaveUp < TIMEOUTS || deferredFrom[at(h, p)] == k && deferredSeq[at(h, p)] == s) ->
#endif
                           /* the deadline passed: give up this GET; its number stays out of use until its answer comes */
                           gaveUp++;
                           wantPage[k] = NONE;
#ifndef NOCHECK
                           quarantined[q(k, h, s)] = true;
#endif
                           m = GAVE_UP
                       }
#endif
                    fi;
                    assert(m == GAVE_UP || a == p);
                    if
                    :: m == GAVE_UP -> skip   /* still PENDING: look at the directory again */
                    :: m == PUT_EXCLUSIVE -> assert(state[at(k, p)] == VALID)
                    :: m == DSM_BUSY -> skip   /* still PENDING: retry */
                    :: m == DSM_NOT_HOLDER ->
                        atomic {
                            if
                            :: holder[p] == h && version[p] == v ->
                                holder[p] = k; version[p]++; load(k, p); checkSingleHolder(p)
                            :: else -> skip
                            fi
                        }
                    fi
                fi
            fi
        od;
        n++
    :: else -> break
    od;
    done++
}

init {
    byte i;
    atomic {
        for (i : 0 .. P - 1) {
            holder[i] = NONE
        }
        for (i : 0 .. N * P - 1) {
            deferredFrom[i] = NONE
        }
        for (i : 0 .. N - 1) {
            wantPage[i] = NONE
        }
        for (i : 0 .. N - 1) {
            run Handler(i);
            run Requester(i)
        }
    }
}

/* Every requester finishes all its accesses (with weak fairness: spin -a -f). */
ltl allFinish { <> (done == N) }
