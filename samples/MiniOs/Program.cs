// mini-os's page-table jobs (arch/x86/mm.c) on simulated memory, for x86 PAE and x86-64: build the
// initial tables, get_pgt, need_pgt, change_readonly (direct and through a Xen-style update queue),
// unmap, and the mappings before and after. Every job is one call into the ready operations, or one
// small visitor over the generated walker, as in the mini-os patch.
//
// The generic MiniOs<TLayout> below calls PageTables<TLayout, ulong>.Map(...); for a fixed layout the
// generator's entry point is the same call: X86_64.Map(memory.View, memory, root, va, pa, size, flags).
using System;
using Walkers;
using Walkers.Layouts;

const ulong MiB = 1 << 20;
MiniOs<X86Pae.Layout>.Run("x86 PAE", ramBytes: 16 * MiB, directMap: 0xC000_0000);
MiniOs<X86_64.Layout>.Run("x86-64", ramBytes: 16 * MiB, directMap: 0xFFFF_8000_0000_0000);

internal static unsafe class MiniOs<TLayout>
    where TLayout : struct, IPageTableLayout<ulong>
{
    // x86 entry bits.
    private const ulong Present = 0x1, Writable = 0x2, Accessed = 0x20, NoExecute = 0x8000_0000_0000_0000;
    private const ulong KernelText = 0x10_0000, KernelTextEnd = 0x14_8000; // "_text".."_etext": 1 MiB + 288 KiB

    // The listing by effective protection: the layouts' [Inherit] rules make writable/user count only if every
    // level says so and no-execute if any does (PAE's top entries carry no permissions at all).
    private static readonly MappingOptions ByProtection = new() { ProtectionMask = Present | Writable | 0x4 | NoExecute };

    public static void Run(string name, ulong ramBytes, ulong directMap)
    {
        Console.WriteLine($"=== {name}: {TLayout.LevelTable}");
        // The "RAM": page tables are allocated from it, like mini-os's alloc_page for page-table frames.
        using var ram = new SimulatedMemory(ramBytes);
        ulong root = ram.AllocateTable();

        // build_pagetable: all RAM 1:1 with 4 KiB pages (as mini-os does), and again at the direct-map
        // offset with the largest pages that fit.
        const ulong Flags = Present | Writable | Accessed;
        PageTables<TLayout, ulong>.Map(ram.View, ram, root, 0, 0, ramBytes, Flags, MapOptions.SmallestPages).ThrowIfFailed();
        PageTables<TLayout, ulong>.Map(ram.View, ram, root, directMap, 0, ramBytes, Flags).ThrowIfFailed();
        Print("after build_pagetable", ram, root);

        // get_pgt: the entry that maps an address (the generated direct descent).
        ulong* pte = TLayout.GetEntry(ram.View, root, KernelText);
        Console.WriteLine($"get_pgt(0x{KernelText:x}) -> entry 0x{*pte:x}");
        Console.WriteLine($"get_pgt(0x{ramBytes * 4:x}) -> {(TLayout.GetEntry(ram.View, root, ramBytes * 4) == null ? "null (no table)" : "an entry")}");

        // need_pgt: the level-1 entry for an address, building missing tables on the way (a visitor).
        ulong scratch = ramBytes * 4;
        pte = NeedPgt(ram, root, scratch);
        *pte = TLayout.MakeEntry(0x5000, Flags);
        Console.WriteLine($"need_pgt(0x{scratch:x}) built the tables; mapped it to 0x5000: translate -> 0x{Translate(ram, root, scratch):x}");

        // change_readonly over the kernel text: directly in the 1:1 mapping, through an update queue
        // (Xen PV mmu_update batches of up to 512) in the direct map, where it also splits a 2 MiB page.
        ulong textBytes = KernelTextEnd - KernelText;
        PageTables<TLayout, ulong>.Protect(ram.View, ram, root, KernelText, textBytes, clear: Writable, set: 0).ThrowIfFailed();
        var queue = new EntryUpdateQueue<ulong>();
        PageTables<TLayout, ulong>.Protect(ram.View, ram, root, directMap + KernelText, textBytes, Writable, 0,
            new QueuedEntryWriter<ulong>(queue)).ThrowIfFailed();
        Console.WriteLine($"change_readonly: {textBytes / 4096} pages each way; queued: {queue.Updates} updates in {queue.Batches} mmu_update batches" +
            " (the first links the table that splits the 2 MiB page, and must be visible at once)");

        // Unmap: the scratch page (its now-empty tables freed) and a guard page inside a 2 MiB page of the direct map.
        int tables = ram.TablesInUse;
        PageTables<TLayout, ulong>.Unmap(ram.View, ram, root, scratch, 4096, UnmapOptions.FreeEmptyTables).ThrowIfFailed();
        Console.WriteLine($"unmap(0x{scratch:x}) freeing empty tables: tables in use {tables} -> {ram.TablesInUse}");
        tables = ram.TablesInUse;
        PageTables<TLayout, ulong>.Unmap(ram.View, ram, root, directMap + 9 * MiB, 4096).ThrowIfFailed();
        Console.WriteLine($"unmap(0x{directMap + 9 * MiB:x}), inside a 2 MiB page, splits it: tables in use {tables} -> {ram.TablesInUse}");
        Print("after change_readonly and unmap", ram, root);
        Console.WriteLine();
    }

    private const ulong MiB = 1 << 20;

    private static void Print(string title, SimulatedMemory ram, ulong root)
    {
        Console.WriteLine($"-- {title}: runs (va, pa, size, flags, level), {ram.TablesInUse} tables");
        foreach (var run in PageTables<TLayout, ulong>.Mappings(ram.View, root, 0, ulong.MaxValue))
            Console.WriteLine($"   {run}");
        Console.WriteLine("   by effective protection (QEMU info mem):");
        foreach (var run in PageTables<TLayout, ulong>.Mappings(ram.View, root, 0, ulong.MaxValue, ByProtection))
            Console.WriteLine($"   0x{run.VirtualAddress:x16}-0x{run.LastAddress:x16} {run.Size,12:N0} B {((run.Flags & Writable) != 0 ? "rw" : "r-")}{((run.Flags & NoExecute) != 0 ? "-" : "x")}");
    }

    private static ulong Translate(SimulatedMemory ram, ulong root, ulong va) =>
        TLayout.TryTranslate(ram.View, root, va, out ulong pa) ? pa : PageTables<TLayout, ulong>.NotMapped;

    /// <summary>mini-os need_pgt: walk [va, va]; the visitor installs a table wherever one is missing, and the walker descends into it.</summary>
    private static ulong* NeedPgt(SimulatedMemory ram, ulong root, ulong va)
    {
        var visitor = new NeedPgtVisitor(ram);
        TLayout.Walk(ram.View, root, va, va, ref visitor);
        return visitor.Entry;
    }

    private struct NeedPgtVisitor(SimulatedMemory ram) : IPageTableVisitor<ulong>
    {
        public ulong* Entry;

        public int Visit(ulong va, int level, bool isLeaf, ulong* entry)
        {
            if (level == 1 || (isLeaf && TLayout.IsPresent(*entry)))
            {
                Entry = entry; // the level-1 entry, or the huge page that already maps va
                return 0;
            }
            if (!TLayout.IsPresent(*entry))
                *entry = TLayout.MakeEntry(ram.AllocateTable(), TLayout.Prot(level)); // new_pt_frame
            return 0;
        }
    }
}
