package io.archipelago.typed.access;

import io.archipelago.typed.CType;
import io.archipelago.typed.Typed;
import io.archipelago.typed.TypedObject;

/** A view with a member of every Java kind, for the accessor tests. */
@Typed("probe")
public interface Probe extends TypedObject {
    @CType("long") long l();
    void l(long v);
    @CType("int") int i();
    void i(int v);
    @CType("short") short s();
    void s(short v);
    @CType("signed char") byte b();
    void b(byte v);
    @CType("unsigned short") char c();
    void c(char v);
    @CType("unsigned int") long ui();
    void ui(long v);
    @CType("_Bool") boolean flag();
    void flag(boolean v);
    @CType("double") double d();
    void d(double v);
    @CType("float") float f();
    void f(float v);
    @CType("void *") long p();
    void p(long v);
    @CType("int[3][2]") int grid(int i, int j);
    void grid(int i, long j, int v);
    @CType("struct pair") Pair pair();
    @CType("struct pair[2]") Pair pairs(long i);

    @Typed("pair")
    interface Pair {
        @CType("long long") long a();
        void a(long v);
        @CType("char") byte b();
        void b(byte v);
    }
}
