/* Nested, named, anonymous and self-referential records; pointers of every shape. */
struct list_head { struct list_head *next, *prev; };

struct node {
    int value;
    struct list_head link;
    struct node *parent;
};

struct outer {
    char tag;
    struct inner { short a; double b; } in;
    struct inner in2[2];
    char end;
};

struct with_anonymous {
    int kind;
    union { int i; float f; double d; };
    struct { char a; long b; };
    char tail;
};

typedef struct { int x, y; } point_t;
typedef struct named_t_tag { point_t a; point_t *b; char c; } named_t;

struct callbacks {
    void (*open)(struct node *, int);
    int (*read)(void *buf, size_t len);
    void *(*alloc)(size_t);
    char c;
    int (*variadic)(const char *fmt, ...);
};

typedef void (*handler_t)(int);
struct handlers { handler_t h[3]; char c; };

struct self_ref { struct self_ref *self; struct self_ref **pself; char c; };

struct forward;
struct uses_forward { struct forward *f; int i; };

struct const_volatile {
    const int a;
    volatile long b;
    const char *const name;
    char *restrict r;
};

struct deep {
    struct { struct { char c; long long x; } inner; int y; } middle;
    char z;
};
