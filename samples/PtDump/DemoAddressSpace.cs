using System;
using Walkers.Layouts;

namespace Walkers.PtDump;

/// <summary>
/// The address space `ptdump` lists when given no file: a small x86-64 4-level process built in simulated
/// memory — user text, data and stack in 4K pages, kernel text and data in 2M pages, a 1G direct map and an
/// uncached 4K MMIO page — so every format has something of each kind to show.
/// </summary>
internal sealed unsafe class DemoAddressSpace : IDisposable
{
    private const ulong P = X86Entry.Present, W = X86Entry.Writable, U = X86Entry.User, A = X86Entry.Accessed,
        D = X86Entry.Dirty, G = X86Entry.Global, NX = X86Entry.NoExecute, PCD = X86Entry.CacheDisable, PWT = X86Entry.WriteThrough;

    private readonly SimulatedMemory _memory = new(1 << 20, start: 0x10_0000); // tables from 1 MiB up, as a kernel would place them

    public DemoAddressSpace()
    {
        Root = _memory.AllocateTable();
        MapPages(0x0000_0000_0040_0000, 0x0660_0000, 8, level: 1, P | U | A);                       // user text
        MapPages(0x0000_0000_0060_0000, 0x0670_0000, 4, level: 1, P | U | W | A | D | NX);          // user data
        MapPages(0x0000_7fff_fffd_e000, 0x0680_0000, 3, level: 1, P | U | W | A | D | NX);          // user stack
        MapPages(0xffff_8880_0000_0000, 0x0000_0000, 1, level: 3, P | W | A | D | G | NX);          // direct map, 1G
        MapPages(0xffff_ffff_8100_0000, 0x0100_0000, 2, level: 2, P | A | G);                       // kernel text, 2M
        MapPages(0xffff_ffff_8140_0000, 0x0140_0000, 1, level: 2, P | W | A | D | G | NX);          // kernel data, 2M
        MapPages(0xffff_ffff_ff5f_c000, 0xfec0_0000, 1, level: 1, P | W | A | D | G | PCD | PWT | NX); // I/O APIC
    }

    /// <summary>The root table (CR3).</summary>
    public ulong Root { get; }

    public FlatMemory Memory => _memory.View;

    private void MapPages(ulong va, ulong pa, int count, int level, ulong flags)
    {
        ulong size = X86_64.Layout.PageSize(level);
        for (int i = 0; i < count; i++)
            Map(va + (ulong)i * size, pa + (ulong)i * size, level, flags);
    }

    private void Map(ulong va, ulong pa, int level, ulong flags)
    {
        ulong table = Root;
        for (int l = X86_64.Layout.Levels; l > level; l--)
        {
            var entry = EntryPointer(table, va, l);
            if (!X86_64.Layout.IsPresent(*entry))
                *entry = X86_64.Layout.MakeEntry(_memory.AllocateTable(), X86_64.Layout.Prot(l));
            table = X86_64.Layout.EntryAddress(*entry);
        }
        *EntryPointer(table, va, level) = X86_64.Layout.MakeEntry(pa, flags | (level > 1 ? X86Entry.PageSize : 0));
    }

    private ulong* EntryPointer(ulong table, ulong va, int level)
    {
        ulong index = (va >> X86_64.Layout.Shift(level)) & (ulong)(X86_64.Layout.Entries(level) - 1);
        return (ulong*)_memory.Pointer(table + index * 8, 8);
    }

    public void Dispose() => _memory.Dispose();
}
