/* __attribute__((packed)), __attribute__((aligned(N))) and _Alignas in every position GCC accepts. */
struct packed_s { char c; int i; long long ll; short s; } __attribute__((packed));
struct __attribute__((packed)) packed_prefix { char c; double d; };
struct packed_aligned { char c; int i; } __attribute__((packed, aligned(4)));
struct aligned_struct { char c; } __attribute__((aligned(16)));
struct aligned_struct_8 { double d; char c; } __attribute__((__aligned__(8)));
struct member_aligned { char c; int i __attribute__((aligned(16))); char d; };
struct packed_with_aligned_member { char c; int i __attribute__((aligned(8))); char d; } __attribute__((packed));
struct packed_member { char c; int i __attribute__((packed)); double d; };
struct packed_member_ll { char c; long long ll __attribute__((__packed__)); };

typedef int aligned_int __attribute__((aligned(8)));
typedef long long under_aligned_ll __attribute__((aligned(2)));
typedef double under_aligned_double __attribute__((aligned(1)));
struct uses_aligned_typedef { char c; aligned_int x; char d; under_aligned_ll y; char e; under_aligned_double z; };
struct packed_with_aligned_typedef { char c; aligned_int x; } __attribute__((packed));

struct bare_aligned { char c; } __attribute__((aligned));
struct bare_aligned_member { char c; char d __attribute__((aligned)); };
struct alignas_member { char c; _Alignas(8) char d; _Alignas(4) short e; };

struct contains_packed { char c; struct packed_s p; int i; };
struct contains_aligned { char c; struct aligned_struct a; char d; };

typedef struct { char c; short s; } __attribute__((packed)) packed_typedef_t;
typedef struct small { char c; } small_t __attribute__((aligned(8)));
struct uses_small_t { char c; small_t s; char d; };

struct __attribute__((aligned(32))) aligned_before_name { int i; };
struct packed_union_member { char c; union { int i; char b[3]; } __attribute__((packed)) u; };
struct deprecated_ok { int a __attribute__((deprecated)); char b __attribute__((unused)); };
