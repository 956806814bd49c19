/* Fixed-size, multi-dimensional, flexible and zero-length arrays; constant expressions. */
#define NAME_LEN 20
#define TWICE(x) ((x) * 2)

struct arrays {
    char name[13];
    int matrix[3][5];
    double cube[2][2][2];
    char tail;
};

struct pair { char a; double b; };
struct pairs { struct pair p[3]; char z; };

struct array_of_anonymous { struct { char c; int i; } items[4]; short s; };

struct flexible { int count; long long data[]; };
struct flexible_chars { short count; char data[]; };
struct zero_length { int count; char data[0]; };

enum { SLOTS = 3 * 2, MASK = 0x0F };

struct const_exprs {
    char name[NAME_LEN + 1];
    int slots[SLOTS];
    short bits[(1 << 3) - 1];
    char hex[0x10 | 1];
    char masked[MASK & 7];
    char cond[NAME_LEN > 10 ? 3 : 4];
};

struct pointer_arrays {
    int *ptrs[3];
    int (*ptr_to_array)[4];
    char **argv;
    double grid[2][3][4];
};

typedef int vector_t[3];
struct uses_array_typedef { char c; vector_t v; vector_t vs[2]; };
