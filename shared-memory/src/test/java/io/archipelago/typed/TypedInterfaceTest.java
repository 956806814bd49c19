package io.archipelago.typed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.archipelago.typed.description.Field;
import io.archipelago.typed.description.RecordType;
import io.archipelago.typed.header.HeaderParser;
import io.archipelago.typed.layout.RecordLayout;
import org.junit.jupiter.api.Test;

class TypedInterfaceTest {

    @Typed("list_head")
    public interface ListHead {
        @CType("struct list_head *") long next();
        void next(long next);
        @CType("struct list_head *") long prev();
    }

    @Typed("task")
    public interface Task2 {
        @CType("int") int pid();
        void pid(int pid);
        @CType("unsigned long") long nvcsw();
        @CType("char[16]") byte comm(int i);
        void comm(int i, byte c);
        ListHead tasks();
        @CType("struct list_head[2]") ListHead pair(int i);
        @CType("struct mm_struct *") long mm();
        @CType(value = "double", member = "load_avg") double loadAverage();
        @CType("_Bool") boolean running();
        @CType("int[2][3]") int grid(int i, long j);
    }

    @Test
    void describesTheStructInDeclarationOrder() {
        TypedInterface task = TypedInterface.of(Task2.class);
        RecordType record = task.record();
        assertThat(record.tag()).isEqualTo("task");
        assertThat(record.fields()).extracting(Field::name)
            .containsExactly("pid", "nvcsw", "comm", "tasks", "pair", "mm", "load_avg", "running", "grid");
        assertThat(task.property("comm").dimensions()).isEqualTo(1);
        assertThat(task.property("comm").setter()).isNotNull();
        assertThat(task.property("grid").dimensions()).isEqualTo(2);
        assertThat(task.property("tasks").view()).isEqualTo(ListHead.class);
        assertThat(task.property("pair").cType().cName()).isEqualTo("struct list_head[2]");
        assertThat(task.property("load_avg").getter().getName()).isEqualTo("loadAverage");
    }

    @Test
    void theInterfaceLaysOutLikeTheSameHeader() {
        RecordType fromInterface = TypedInterface.of(Task2.class).record();
        RecordType fromHeader = HeaderParser.parse("t.h", """
            struct list_head { struct list_head *next; struct list_head *prev; };
            struct task { int pid; unsigned long nvcsw; char comm[16]; struct list_head tasks; struct list_head pair[2];
                          struct mm_struct *mm; double load_avg; _Bool running; int grid[2][3]; };
            """).record("task");
        for (DataModel model : DataModel.values()) {
            RecordLayout a = model.layoutEngine().record(fromInterface);
            RecordLayout b = model.layoutEngine().record(fromHeader);
            assertThat(a).as("layout on %s", model).isEqualTo(b);
        }
    }

    @Typed("renamed")
    public interface Renamed {
        @CType(value = "unsigned int", member = "__state") long state();
        void state(long state);
    }

    @Test
    void aSetterFollowsItsGetterToARenamedMember() {
        TypedInterface.Property state = TypedInterface.of(Renamed.class).property("__state");
        assertThat(state.getter().getName()).isEqualTo("state");
        assertThat(state.setter()).isNotNull();
        assertThat(TypedInterface.of(Renamed.class).record().fields()).extracting(Field::name).containsExactly("__state");
    }

    @Typed("bad")
    interface WrongJavaType {
        @CType("double") int x();
    }

    @Typed("bad")
    interface MissingCType {
        long x();
    }

    @Typed("bad")
    interface WrongIndices {
        @CType("char[16]") byte comm();
    }

    @Typed("bad")
    interface PointerAsInt {
        @CType("void *") int p();
    }

    @Typed("bad")
    interface BadCType {
        @CType("unsigned banana") int p();
    }

    interface NotTyped {
        @CType("int") int x();
    }

    @Typed("a")
    interface ContainsItself {
        ContainsItself self();
    }

    @Test
    void refusesWithTheMethodAndTheReason() {
        assertThatThrownBy(() -> TypedInterface.of(WrongJavaType.class)).isInstanceOf(TypedInterfaceException.class)
            .hasMessageContaining("WrongJavaType member 'x'").hasMessageContaining("C type double is read as float or double, not int");
        assertThatThrownBy(() -> TypedInterface.of(MissingCType.class)).hasMessageContaining("has no @CType");
        assertThatThrownBy(() -> TypedInterface.of(WrongIndices.class))
            .hasMessageContaining("char[16] (1 array dimension(s)) but its accessors take 0 index(es)");
        assertThatThrownBy(() -> TypedInterface.of(PointerAsInt.class)).hasMessageContaining("read as long (a global-memory address), not int");
        assertThatThrownBy(() -> TypedInterface.of(BadCType.class)).hasMessageContaining("@CType(\"unsigned banana\")");
        assertThatThrownBy(() -> TypedInterface.of(NotTyped.class)).hasMessageContaining("is not annotated @Typed");
        assertThatThrownBy(() -> TypedInterface.of(ContainsItself.class)).hasMessageContaining("contains itself by value");
    }
}
