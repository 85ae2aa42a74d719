using System;
using Walkers.Layouts;

namespace Walkers.PtDump;

/// <summary>
/// The address space `ptdump` lists when given no file: a small x86-64 4-level process built in simulated
/// memory — user text, data and stack in 4K pages, kernel text and data in 2M pages, a 1G direct map and an
/// uncached 4K MMIO page — so every format has something of each kind to show.
/// </summary>
internal sealed class DemoAddressSpace : IDisposable
{
    private const ulong P = X86Flags.Present, W = X86Flags.Writable, U = X86Flags.User, A = X86Flags.Accessed,
        D = X86Flags.Dirty, G = X86Flags.Global, NX = X86Flags.NoExecute, PCD = X86Flags.CacheDisable, PWT = X86Flags.WriteThrough;
    private const ulong K4 = 0x1000, M2 = 0x20_0000, G1 = 0x4000_0000;

    private readonly SimulatedMemory _memory = new(1 << 20, start: 0x10_0000); // tables from 1 MiB up, as a kernel would place them

    public DemoAddressSpace()
    {
        Root = _memory.AllocateTable();
        Map(0x0000_0000_0040_0000, 0x0660_0000, 8 * K4, P | U | A);                       // user text, 4K pages
        Map(0x0000_0000_0060_0000, 0x0670_0000, 4 * K4, P | U | W | A | D | NX);          // user data
        Map(0x0000_7fff_fffd_e000, 0x0680_0000, 3 * K4, P | U | W | A | D | NX);          // user stack
        Map(0xffff_8880_0000_0000, 0x0000_0000, G1, P | W | A | D | G | NX);              // direct map, a 1G page
        Map(0xffff_ffff_8100_0000, 0x0100_0000, 2 * M2, P | A | G);                       // kernel text, 2M pages
        Map(0xffff_ffff_8140_0000, 0x0140_0000, M2, P | W | A | D | G | NX);              // kernel data, a 2M page
        Map(0xffff_ffff_ff5f_c000, 0xfec0_0000, K4, P | W | A | D | G | PCD | PWT | NX);  // I/O APIC
    }

    /// <summary>The root table (CR3).</summary>
    public ulong Root { get; }

    public FlatMemory Memory => _memory.View;

    /// <summary>The demo as an address space to list.</summary>
    public AddressSpace Space => new(Families.Family.X86, "4level",
        [new RootTable("", ReadyLayouts.X86_64, ReadyLayouts.X86_64.Lower, Root, "CR3", Root)], "demo");

    /// <summary>The runtime's Map: the largest page that fits each piece, missing tables allocated with the level's prot.</summary>
    private void Map(ulong va, ulong pa, ulong size, ulong flags) =>
        X86_64.Map(_memory.View, _memory, Root, va, pa, size, flags).ThrowIfFailed();

    public void Dispose() => _memory.Dispose();
}
