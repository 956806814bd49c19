/* Every scalar type of the header subset, and the classic padding cases. */
struct all_scalars {
    _Bool b;
    char c;
    signed char sc;
    unsigned char uc;
    short s;
    unsigned short us;
    int i;
    unsigned int ui;
    long l;
    unsigned long ul;
    long long ll;
    unsigned long long ull;
    float f;
    double d;
};

struct char_long_long { char c; long long x; };
struct char_double { char c; double d; };
struct char_long { char c; long l; };
struct char_pointer { char c; void *p; };
struct tail_padding { double d; char c; };
struct short_char_short { short a; char b; short c; };
struct int_ll_int { int a; long long b; int c; };
struct float_double_float { float a; double b; float c; };
struct bool_bool_int { bool a; _Bool b; int c; };

struct stdint_types {
    int8_t a;
    uint8_t b;
    int16_t c;
    uint16_t d;
    int32_t e;
    uint32_t f;
    int64_t g;
    uint64_t h;
};

struct size_types {
    char c0; size_t a;
    char c1; ssize_t b;
    char c2; intptr_t c;
    char c3; uintptr_t d;
    char c4; ptrdiff_t e;
};

struct spelled {
    long int a;
    long unsigned int b;
    unsigned c;
    signed d;
    short int e;
    long long int f;
    unsigned long long int g;
    signed char h;
    int long i;
    unsigned short int j;
};

struct empty_struct {};
struct only_char { char c; };

typedef unsigned long ulong_t;
typedef double real_t;
typedef ulong_t ulong2_t;
struct with_typedefs { char c; ulong_t u; real_t r; char d; ulong2_t v; };

struct declarators { int a, *b, c[2]; char d; };
