// The first Walkers sample: describe a page-table layout once, let the generator write its walker,
// build a small address space in simulated memory and list what a walk finds.
using System;
using Walkers;

unsafe
{
    using var memory = new SimulatedMemory(4 << 20);
    ulong root = memory.AllocateTable();

    // Map a few pages by hand: a table per level down to level 1, then 4 KiB pages and one 2 MiB page.
    MapPage(memory, root, 0x0040_0000, 0x0010_0000, Flags.Writable);
    MapPage(memory, root, 0x0040_1000, 0x0010_1000, 0);
    MapPage(memory, root, 0x7FFF_FFFF_F000, 0x0020_0000, Flags.Writable | Flags.User);
    MapHuge(memory, root, 0xFFFF_8000_0020_0000, 0x0040_0000);

    Console.WriteLine($"Layout: {ToyX64.LevelTable}");
    Console.WriteLine("Present leaves of the whole address space:");
    var printer = new LeafPrinter();
    ToyX64.Walk(memory.View, root, 0, ulong.MaxValue, ref printer);
    Console.WriteLine($"{printer.Count} leaves, {memory.TablesInUse} tables in use.");

    foreach (ulong va in new ulong[] { 0x0040_1234, 0xFFFF_8000_0023_4567, 0x1234_5000 })
    {
        Console.WriteLine(ToyX64.TryTranslate(memory.View, root, va, out ulong pa)
            ? $"translate 0x{va:x16} -> 0x{pa:x}"
            : $"translate 0x{va:x16} -> not mapped");
    }
}

static unsafe void MapPage(SimulatedMemory memory, ulong root, ulong va, ulong pa, ulong flags) =>
    *Descend(memory, root, va, stopAtLevel: 1) = ToyX64.Layout.MakeEntry(pa, Flags.Present | flags);

static unsafe void MapHuge(SimulatedMemory memory, ulong root, ulong va, ulong pa) =>
    *Descend(memory, root, va, stopAtLevel: 2) = ToyX64.Layout.MakeEntry(pa, Flags.Present | Flags.Writable | Flags.Huge);

// Finds the entry for va at stopAtLevel, allocating the tables on the way (mini-os need_pgt, by hand).
static unsafe ulong* Descend(SimulatedMemory memory, ulong root, ulong va, int stopAtLevel)
{
    ulong table = root;
    for (int level = ToyX64.Layout.Levels; ; level--)
    {
        var entry = (ulong*)memory.Pointer(table, ToyX64.Layout.TableBytes(level))
            + ((va >> ToyX64.Layout.Shift(level)) & (ulong)(ToyX64.Layout.Entries(level) - 1));
        if (level == stopAtLevel)
            return entry;
        if (!ToyX64.Layout.IsPresent(*entry))
            *entry = ToyX64.Layout.MakeEntry(memory.AllocateTable(), ToyX64.Layout.Prot(level));
        table = ToyX64.Layout.EntryAddress(*entry);
    }
}

/// <summary>An x86-64-like layout: 4 levels, 48-bit sign-extended addresses, 2 MiB pages at level 2.</summary>
[PageTable(VirtualAddressBits = 48, SignExtend = true, PresentMask = Flags.Present,
           AddressMask = 0x000F_FFFF_FFFF_F000, TableMask = Flags.Huge, TableValue = 0)]
[PageLevel(4, Shift = 39, Entries = 512, Prot = 0x7)]
[PageLevel(3, Shift = 30, Entries = 512, Prot = 0x7)]
[PageLevel(2, Shift = 21, Entries = 512, Prot = 0x7, Leaf = true)]
[PageLevel(1, Shift = 12, Entries = 512, Prot = 0x3)]
static partial class ToyX64;

static class Flags
{
    public const ulong Present = 0x1, Writable = 0x2, User = 0x4, Huge = 0x80;
}

/// <summary>Prints every present leaf; a struct, so the walker is specialised for it.</summary>
unsafe struct LeafPrinter : IPageTableVisitor<ulong>
{
    public int Count;

    public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
    {
        if (isLeaf && ToyX64.Layout.IsPresent(*entry))
        {
            Count++;
            string size = level == 1 ? "4K" : "2M";
            Console.WriteLine($"  0x{va:x16} -> 0x{ToyX64.Layout.EntryAddress(*entry):x} {size} {(((*entry & Flags.Writable) != 0) ? "rw" : "r-")}{(((*entry & Flags.User) != 0) ? " user" : "")}");
        }
        return 0;
    }
}
