/*
 * kernel-structs.h: the kernel objects the paper proposes to share between kernels of
 * different ABIs (process management, memory management, I/O), modelled on Linux 6.x.
 *
 * Simplified but honest: every struct keeps the real member types of its Linux counterpart
 * (unsigned long stays unsigned long, pointers stay pointers, 64-bit counters stay u64), so
 * the LP64-versus-ILP32 size differences and the padding they cause are the real ones; members
 * behind configuration options, debugging members and most locking internals are left out,
 * and embedded kernel types (spinlock_t, atomic_t, ...) are reduced to their non-debug form.
 * Bit-fields (e.g. in struct page and sk_buff) are replaced by a word of the same storage.
 *
 * `archipelago layout kernel-structs.h --data-model x86_64 --unified` prints the table of
 * docs/typed-memory.md; the golden layout tests check every struct here against GCC for all
 * five data models.
 */

typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned short umode_t;
typedef long long loff_t;
typedef unsigned int fmode_t;
typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;
typedef unsigned int dev_t;
typedef unsigned long ino_t;
typedef long long time64_t;
typedef long long ktime_t;
typedef unsigned long long u64;
typedef long long s64;
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long vm_flags_t;
typedef unsigned int sk_buff_data_t;   /* an offset on 64-bit Linux, kept 32-bit here everywhere */

typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { unsigned int val; } spinlock_t;
typedef struct { unsigned long pgprot; } pgprot_t;
typedef struct { unsigned int sequence; } seqcount_t;
typedef struct { uid_t val; } kuid_t;
typedef struct { gid_t val; } kgid_t;

struct list_head { struct list_head *next, *prev; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct hlist_head { struct hlist_node *first; };
struct rb_node { unsigned long __rb_parent_color; struct rb_node *rb_right; struct rb_node *rb_left; };
struct rb_root { struct rb_node *rb_node; };
struct timespec64 { time64_t tv_sec; long tv_nsec; };
struct mutex { atomic_long_t owner; spinlock_t wait_lock; struct list_head wait_list; };
struct rw_semaphore { atomic_long_t count; atomic_long_t owner; spinlock_t wait_lock; struct list_head wait_list; };
struct callback_head { struct callback_head *next; void (*func)(struct callback_head *head); };

struct load_weight { unsigned long weight; u32 inv_weight; };

struct sched_entity {
    struct load_weight load;
    struct rb_node run_node;
    u64 deadline;
    u64 min_vruntime;
    struct list_head group_node;
    unsigned int on_rq;
    u64 exec_start;
    u64 sum_exec_runtime;
    u64 prev_sum_exec_runtime;
    u64 vruntime;
    s64 vlag;
    u64 slice;
    u64 nr_migrations;
};

/* Process descriptor: mostly architecture independent, the paper's first candidate for sharing. */
struct task_struct {
    unsigned int __state;
    unsigned int saved_state;
    void *stack;
    atomic_t usage;
    unsigned int flags;
    unsigned int ptrace;
    int on_cpu;
    unsigned int cpu;
    unsigned int wakee_flips;
    unsigned long wakee_flip_decay_ts;
    struct task_struct *last_wakee;
    int recent_used_cpu;
    int wake_cpu;
    int on_rq;
    int prio;
    int static_prio;
    int normal_prio;
    unsigned int rt_priority;
    struct sched_entity se;
    unsigned int policy;
    int nr_cpus_allowed;
    unsigned long cpus_mask[1];
    struct list_head tasks;
    struct mm_struct *mm;
    struct mm_struct *active_mm;
    int exit_state;
    int exit_code;
    int exit_signal;
    int pdeath_signal;
    unsigned long jobctl;
    unsigned int personality;
    unsigned long atomic_flags;
    pid_t pid;
    pid_t tgid;
    struct task_struct *real_parent;
    struct task_struct *parent;
    struct list_head children;
    struct list_head sibling;
    struct task_struct *group_leader;
    struct list_head thread_node;
    u64 utime;
    u64 stime;
    u64 gtime;
    unsigned long nvcsw;
    unsigned long nivcsw;
    u64 start_time;
    u64 start_boottime;
    unsigned long min_flt;
    unsigned long maj_flt;
    const struct cred *real_cred;
    const struct cred *cred;
    char comm[16];
    struct fs_struct *fs;
    struct files_struct *files;
    struct signal_struct *signal;
    struct sighand_struct *sighand;
    u64 blocked;
    u64 real_blocked;
    unsigned long sas_ss_sp;
    unsigned long sas_ss_size;
    unsigned int sas_ss_flags;
    struct callback_head *task_works;
    u64 self_exec_id;
    spinlock_t alloc_lock;
    spinlock_t pi_lock;
    void *journal_info;
    struct io_context *io_context;
    unsigned long ptrace_message;
    u64 acct_rss_mem1;
    u64 acct_vm_mem1;
    u64 acct_timexpd;
    int pagefault_disabled;
    struct task_struct *oom_reaper_list;
    struct vm_struct *stack_vm_area;
    atomic_t stack_refcount;
};

/* Address space: shared so that kernels keep one view of a PGAS-style address space. */
struct mm_struct {
    struct vm_area_struct *mmap_cache;
    struct rb_root mm_rb;
    u64 vmacache_seqnum;
    unsigned long mmap_base;
    unsigned long mmap_legacy_base;
    unsigned long task_size;
    unsigned long highest_vm_end;
    void *pgd;
    atomic_t membarrier_state;
    atomic_t mm_users;
    atomic_t mm_count;
    atomic_long_t pgtables_bytes;
    int map_count;
    spinlock_t page_table_lock;
    struct rw_semaphore mmap_lock;
    struct list_head mmlist;
    unsigned long hiwater_rss;
    unsigned long hiwater_vm;
    unsigned long total_vm;
    unsigned long locked_vm;
    atomic64_t pinned_vm;
    unsigned long data_vm;
    unsigned long exec_vm;
    unsigned long stack_vm;
    unsigned long def_flags;
    seqcount_t write_protect_seq;
    spinlock_t arg_lock;
    unsigned long start_code, end_code, start_data, end_data;
    unsigned long start_brk, brk, start_stack;
    unsigned long arg_start, arg_end, env_start, env_end;
    unsigned long saved_auxv[48];
    atomic_long_t rss_stat[4];
    struct linux_binfmt *binfmt;
    unsigned long flags;
    spinlock_t ioctx_lock;
    struct task_struct *owner;
    struct user_namespace *user_ns;
    struct file *exe_file;
    atomic_t tlb_flush_pending;
    struct uprobes_state { void *xol_area; } uprobes_state;
};

/* A virtual memory area: [vm_start, vm_end) of one address space. */
struct vm_area_struct {
    unsigned long vm_start;
    unsigned long vm_end;
    struct vm_area_struct *vm_next, *vm_prev;
    struct rb_node vm_rb;
    unsigned long rb_subtree_gap;
    struct mm_struct *vm_mm;
    pgprot_t vm_page_prot;
    vm_flags_t vm_flags;
    struct {
        struct rb_node rb;
        unsigned long rb_subtree_last;
    } shared;
    struct list_head anon_vma_chain;
    struct anon_vma *anon_vma;
    const struct vm_operations_struct *vm_ops;
    unsigned long vm_pgoff;
    struct file *vm_file;
    void *vm_private_data;
    atomic_long_t swap_readahead_info;
};

/* An open file. */
struct file {
    union {
        struct list_head f_list;
        struct callback_head f_task_work;
    };
    struct path { struct vfsmount *mnt; struct dentry *dentry; } f_path;
    struct inode *f_inode;
    const struct file_operations *f_op;
    spinlock_t f_lock;
    atomic_long_t f_count;
    unsigned int f_flags;
    fmode_t f_mode;
    struct mutex f_pos_lock;
    loff_t f_pos;
    struct fown_struct *f_owner;
    const struct cred *f_cred;
    struct file_ra_state { pgoff_t start; unsigned int size; unsigned int async_size; unsigned int ra_pages;
                           unsigned int mmap_miss; loff_t prev_pos; } f_ra;
    u64 f_version;
    void *private_data;
    struct address_space *f_mapping;
    u32 f_wb_err;
    u32 f_sb_err;
};

/* An inode: the file system object behind files. */
struct inode {
    umode_t i_mode;
    unsigned short i_opflags;
    kuid_t i_uid;
    kgid_t i_gid;
    unsigned int i_flags;
    const struct inode_operations *i_op;
    struct super_block *i_sb;
    struct address_space *i_mapping;
    unsigned long i_ino;
    union {
        const unsigned int i_nlink;
        unsigned int __i_nlink;
    };
    dev_t i_rdev;
    loff_t i_size;
    struct timespec64 i_atime;
    struct timespec64 i_mtime;
    struct timespec64 i_ctime;
    spinlock_t i_lock;
    unsigned short i_bytes;
    u8 i_blkbits;
    u8 i_write_hint;
    unsigned long long i_blocks;
    unsigned long i_state;
    struct rw_semaphore i_rwsem;
    unsigned long dirtied_when;
    unsigned long dirtied_time_when;
    struct hlist_node i_hash;
    struct list_head i_io_list;
    struct list_head i_lru;
    struct list_head i_sb_list;
    struct list_head i_wb_list;
    union {
        struct hlist_head i_dentry;
        struct callback_head i_rcu;
    };
    atomic64_t i_version;
    atomic64_t i_sequence;
    atomic_t i_count;
    atomic_t i_dio_count;
    atomic_t i_writecount;
    atomic_t i_readcount;
    const struct file_operations *i_fop;
    struct file_lock_context *i_flctx;
    struct address_space_data { unsigned long nrpages; pgoff_t writeback_index; gfp_t gfp_mask; } i_data;
    struct list_head i_devices;
    u32 i_generation;
    void *i_private;
};

/* A page frame descriptor (the 64-byte struct page of LP64 Linux). */
struct page {
    unsigned long flags;
    union {
        struct {
            struct list_head lru;
            struct address_space *mapping;
            pgoff_t index;
            unsigned long private;
        };
        struct {
            unsigned long pp_magic;
            struct page_pool *pp;
            unsigned long _pp_mapping_pad;
            unsigned long dma_addr;
        };
        struct {
            unsigned long compound_head;
        };
        struct {
            void *pgmap;
            void *zone_device_data;
        };
        struct callback_head callback_head;
    };
    union {
        atomic_t _mapcount;
        unsigned int page_type;
    };
    atomic_t _refcount;
    unsigned long memcg_data;
};

/* A socket buffer: the network stack's packet descriptor. */
struct sk_buff {
    union {
        struct {
            struct sk_buff *next;
            struct sk_buff *prev;
            union {
                struct net_device *dev;
                unsigned long dev_scratch;
            };
        };
        struct rb_node rbnode;
        struct list_head list;
    };
    union {
        struct sock *sk;
        int ip_defrag_offset;
    };
    union {
        ktime_t tstamp;
        u64 skb_mstamp_ns;
    };
    char cb[48] __attribute__((aligned(8)));
    unsigned long _skb_refdst;
    void (*destructor)(struct sk_buff *skb);
    unsigned long _nfct;
    unsigned int len;
    unsigned int data_len;
    u16 mac_len;
    u16 hdr_len;
    u16 queue_mapping;
    u8 cloned_flags;          /* cloned:1, nohdr:1, fclone:2, peeked:1, head_frag:1, pfmemalloc:1, pp_recycle:1 */
    u8 active_extensions;
    u8 pkt_type_flags;        /* pkt_type:3, ignore_df:1, dst_pending_confirm:1, ip_summed:2, ooo_okay:1 */
    u8 l4_hash_flags;
    u16 tc_index;
    u16 alloc_cpu;
    unsigned int hash;
    u16 vlan_proto;
    u16 vlan_tci;
    unsigned int napi_id;
    u32 priority;
    int skb_iif;
    u16 protocol;
    u16 transport_header;
    u16 network_header;
    u16 mac_header;
    u16 inner_transport_header;
    u16 inner_network_header;
    u16 inner_mac_header;
    u32 mark;
    sk_buff_data_t tail;
    sk_buff_data_t end;
    unsigned char *head;
    unsigned char *data;
    unsigned int truesize;
    atomic_t users;
    struct skb_ext *extensions;
};
