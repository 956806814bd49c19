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
 * The holder's interrupt handler never blocks and never waits for a normal thread: accesses are
 * atomic here (the in-flight counter in the code), and a page obtained but not yet used once is
 * never given away (no livelock in ping-pong).
 *
 * Checked (see DsmModelCheckTest): every assertion (at most one VALID holder per page; a
 * kernel that loads a page sees the newest write: no lost update), no invalid end state
 * (no deadlock, every request answered and every access completed), channels of the mailbox's
 * FIFO depth.
 *
 * Runs (2-core machine, 24 GiB):
 *   spin -a -DACCESSES=1 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c; ./pan -m100000
 *       exhaustive, 2.6 million states, 3 s                                  (CI, DsmModelCheckTest)
 *   spin -a -DACCESSES=1 dsm.pml; gcc -w -O2 -DNFAIR=4 -DCOLLAPSE -o pan pan.c; ./pan -a -f -m500000
 *       liveness under weak fairness, 2.6 million states, 34 s               (CI, DsmModelCheckTest)
 *   spin -a -DP=1 -DACCESSES=2 dsm.pml; gcc -w -O2 -DSAFETY -DNOCLAIM -o pan pan.c; ./pan -m200000
 *       exhaustive, 30 million states, 75 s, 6 GB                            (by hand)
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

#define NONE 255
#define INVALID 0
#define PENDING 1
#define VALID 2
#define at(k, p) ((k) * P + (p))

mtype = { GET_EXCLUSIVE, PUT_EXCLUSIVE, DSM_BUSY, DSM_NOT_HOLDER };

/* one mailbox queue per ordered pair of kernels: mailbox[from * N + to] */
chan mailbox[N * N] = [DEPTH] of { mtype, byte };
/* the interrupt handler hands answers to the waiting requester */
chan answer[N] = [1] of { mtype, byte };

byte holder[P];
byte version[P];
byte dram[P];
byte newest[P];

byte state[N * P];
bool used[N * P];
byte copy[N * P];
/* a GET_EXCLUSIVE the holder could not answer yet (page not used once): the requester, or NONE */
byte deferredFrom[N * P];
byte done;

inline load(k, p) {
    copy[at(k, p)] = dram[p];
    assert(copy[at(k, p)] == newest[p]);
    state[at(k, p)] = VALID;
    used[at(k, p)] = false
}

inline checkSingleHolder(p) {
    assert((state[at(0, p)] == VALID) + (state[at(1, p)] == VALID) + (state[at(2, p)] == VALID) <= 1)
}

proctype Handler(byte k) {
    byte from, p;
    mtype m;
    bool moved;
    from = 0;
    /* The interrupt context serves its incoming queues in turn (as the event loop does), so that
       no sender is starved. */
end:
    do
    :: atomic { len(mailbox[from * N + k]) > 0 -> mailbox[from * N + k]?m, p }; goto handle
    :: atomic { len(mailbox[from * N + k]) == 0 -> from = (from + 1) % N }
    od;
handle:
    if
    :: m == GET_EXCLUSIVE ->
        if
        :: atomic { state[at(k, p)] == VALID && used[at(k, p)] && deferredFrom[at(k, p)] == NONE ->
               /* revoke: write back, invalidate, move the directory to the requester */
               dram[p] = copy[at(k, p)];
               state[at(k, p)] = INVALID;
               if
               :: holder[p] == k -> holder[p] = from; version[p]++; moved = true
               :: else -> moved = false
               fi
           };
           if
           :: moved -> mailbox[k * N + from]!PUT_EXCLUSIVE, p
           :: else -> mailbox[k * N + from]!DSM_NOT_HOLDER, p
           fi
        :: atomic { (state[at(k, p)] == PENDING || (state[at(k, p)] == VALID && !used[at(k, p)])) && deferredFrom[at(k, p)] == NONE ->
               /* not used once yet, or being obtained here: defer; this kernel's thread answers after its access */
               deferredFrom[at(k, p)] = from
           }
        :: (state[at(k, p)] == PENDING || state[at(k, p)] == VALID) && deferredFrom[at(k, p)] != NONE ->
           mailbox[k * N + from]!DSM_BUSY, p
        :: state[at(k, p)] == INVALID ->
           mailbox[k * N + from]!DSM_NOT_HOLDER, p
        fi
    :: m == PUT_EXCLUSIVE ->
        atomic {
            assert(state[at(k, p)] == PENDING);
            assert(holder[p] == k);
            load(k, p);
            checkSingleHolder(p)
        };
        answer[k]!m, p
    :: m == DSM_BUSY || m == DSM_NOT_HOLDER ->
        answer[k]!m, p
    fi;
    from = (from + 1) % N;
    goto end
}

proctype Requester(byte k) {
    byte p, h, v, n, q, r;
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
                    /* the access: a write, atomic with the page-state check */
                    copy[at(k, p)]++;
                    newest[p] = copy[at(k, p)];
                    used[at(k, p)] = true;
                    accessed = true
                :: else -> h = holder[p]; v = version[p]
                fi
            };
            if
            :: accessed ->
                /* the access made the page used: answer a deferred GET_EXCLUSIVE from this thread */
                atomic {
                    if
                    :: deferredFrom[at(k, p)] != NONE ->
                        r = deferredFrom[at(k, p)];
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
                :: r != NONE && moved -> mailbox[k * N + r]!PUT_EXCLUSIVE, p
                :: r != NONE && !moved -> mailbox[k * N + r]!DSM_NOT_HOLDER, p
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
                    mailbox[k * N + h]!GET_EXCLUSIVE, p;
                    answer[k]?m, q;
                    assert(q == p);
                    if
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
            run Handler(i);
            run Requester(i)
        }
    }
}

/* Every requester finishes all its accesses (with weak fairness: spin -a -f). */
ltl allFinish { <> (done == N) }
