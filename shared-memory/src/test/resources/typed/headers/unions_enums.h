/* Unions and enums: sizes follow the largest member; enum storage follows its constants. */
union u1 { char c; int i; double d; };
union u2 { char buf[5]; int i; };
union u3 { char buf[9]; long long ll; };
union packed_u { char c; int i; double d; } __attribute__((packed));
union with_struct { struct { char a; short b; } s; long l; };

enum small { S_A, S_B, S_C };
enum negative { N_A = -1, N_B = 1 };
enum big { B_A = 0x100000000ULL };
enum unsigned_big { U_A = 0xFFFFFFFFu };
enum __attribute__((packed)) packed_small { P_A, P_B = 200 };
enum packed_neg { PN_A = -1, PN_B = 100 } __attribute__((packed));
enum packed_short { PS_A = 300 } __attribute__((packed));
enum packed_wide { PW_A = 70000 } __attribute__((packed));
enum chained { C_A = 5, C_B, C_C = C_B * 2, C_D };

struct with_enums {
    char c;
    enum small s;
    char d;
    enum big b;
    char e;
    enum packed_small ps;
    enum packed_neg pn;
    enum packed_short psh;
    char f;
    enum chained ch[C_A];
};

struct with_unions {
    char c;
    union u1 u;
    char d;
    union { short s; char x[3]; } anon_named;
    union u3 u3s[2];
};
