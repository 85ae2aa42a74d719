using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers;

public static unsafe partial class PageTables<TLayout, TEntry>
{
    /// <summary>
    /// The pages in [from, to] (inclusive, canonical), in ascending order, merged into runs. By default entries at
    /// the same level, contiguous virtually and physically, with equal flags, form one run (<see cref="Mapping.Flags"/>
    /// is the raw entry's). With <see cref="MappingOptions.ProtectionMask"/>: virtually contiguous pages with the same
    /// effective protection (the leaf's bits after the layout's <see cref="InheritAttribute"/> rules, under the mask)
    /// form one run whatever their frames and sizes (QEMU <c>info mem</c>, Linux ptdump); with
    /// <see cref="MappingOptions.SplitAtLevelChanges"/> a change of page size also starts a run. Faults map nothing.
    /// </summary>
    /// <exception cref="PageTableException">The walk stopped early: tables repeat beyond the limit's rule, or it was cancelled (the overload with an output list keeps what was found).</exception>
    public static List<Mapping> Mappings<TMemory>(TMemory memory, ulong root, ulong from, ulong to, MappingOptions options = default)
        where TMemory : struct, IPhysicalMemory
    {
        var runs = new List<Mapping>();
        Mappings(memory, root, from, to, runs, options).ThrowIfFailed();
        return runs;
    }

    /// <summary>Mappings into <paramref name="output"/>: on a walk stopped early, the runs found before it stopped are there, and the result says why.</summary>
    public static PageTableResult Mappings<TMemory>(TMemory memory, ulong root, ulong from, ulong to, List<Mapping> output, MappingOptions options)
        where TMemory : struct, IPhysicalMemory
    {
        ArgumentNullException.ThrowIfNull(output);
        var limit = options.Limit?.Fresh() ?? new WalkLimit();
        int stopped;
        if (options.ProtectionMask != 0)
        {
            var visitor = new ProtectionRunsVisitor(new RunBuilder(output), options.ProtectionMask, options.SplitAtLevelChanges);
            stopped = LimitedWalk.Walk<TLayout, TEntry, TMemory, ProtectionRunsVisitor>(memory, root, from, to, ref visitor, limit);
            visitor.Runs.Finish();
        }
        else
        {
            var visitor = new ExactRunsVisitor(new RunBuilder(output));
            stopped = LimitedWalk.Walk<TLayout, TEntry, TMemory, ExactRunsVisitor>(memory, root, from, to, ref visitor, limit);
            visitor.Runs.Finish();
        }
        return stopped == WalkControl.Limited ? LimitFailure(limit, from) : PageTableResult.Success;
    }

    /// <summary>The run being grown, as scalars (so the walk extends it in registers); size 0: none yet.</summary>
    private struct RunBuilder(List<Mapping> output)
    {
        private ulong _va, _pa, _size, _flags;
        private int _level;

        /// <summary>
        /// Extends the run with a page, or ends it and starts another. <paramref name="contiguous"/>: frames must
        /// continue too; <paramref name="sameLevel"/>: so must the page size.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ulong va, ulong pa, ulong size, ulong flags, int level, bool contiguous, bool sameLevel)
        {
            if (_size != 0 && _va + _size == va && _flags == flags && (!contiguous || _pa + _size == pa) && (!sameLevel || _level == level))
            {
                _size += size;
                return;
            }
            Finish();
            (_va, _pa, _size, _flags, _level) = (va, pa, size, flags, level);
        }

        public void Finish()
        {
            if (_size != 0)
                output.Add(new Mapping(_va, _pa, _size, _flags, _level));
            _size = 0;
        }
    }

    private struct ExactRunsVisitor(RunBuilder runs) : IPageTableVisitor<TEntry>
    {
        public RunBuilder Runs = runs;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = Read(entry);
            if (isLeaf && TLayout.Kind(value, level) == EntryKind.Leaf)
            {
                ulong size = TLayout.PageSize(level);
                Runs.Add(va, TLayout.EntryAddress(value) & ~(size - 1), size, value & ~TLayout.AddressMask, level, contiguous: true, sameLevel: true);
            }
            return 0;
        }
    }

    [InlineArray(8)]
    private struct InheritedPerLevel
    {
        private InheritedFlags _element;
    }

    private struct ProtectionRunsVisitor : IPageTableVisitor<TEntry>
    {
        public RunBuilder Runs;
        private readonly ulong _mask;
        private readonly bool _splitAtLevels;
        // Per level: what the table entries above it impose on its pages.
        private InheritedPerLevel _inherited;

        public ProtectionRunsVisitor(RunBuilder runs, ulong mask, bool splitAtLevels)
        {
            Runs = runs;
            _mask = mask;
            _splitAtLevels = splitAtLevels;
            _inherited[TLayout.Levels] = InheritedFlags.None;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = Read(entry);
            if (!isLeaf)
                _inherited[level - 1] = TLayout.Inherit(_inherited[level], value, level);
            else if (TLayout.Kind(value, level) == EntryKind.Leaf)
            {
                ulong size = TLayout.PageSize(level);
                ulong protection = _inherited[level].Apply(value) & _mask;
                Runs.Add(va, TLayout.EntryAddress(value) & ~(size - 1), size, protection, level, contiguous: false, sameLevel: _splitAtLevels);
            }
            return 0;
        }
    }

    /// <inheritdoc cref="IPageTableLayout{TEntry}.TranslateMany"/>
    /// <remarks>The layout's own, generated translator (<c>Layout.Translator</c>): this is the entry point operations share.</remarks>
    public static int TranslateMany<TMemory>(TMemory memory, ulong root, ReadOnlySpan<ulong> virtualAddresses, Span<ulong> physicalAddresses)
        where TMemory : struct, IPhysicalMemory
        => TLayout.TranslateMany(memory, root, virtualAddresses, physicalAddresses);
}
