using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Walkers;

public static unsafe partial class PageTables<TLayout, TEntry>
{
    /// <summary>
    /// The present leaves in [from, to] (inclusive, canonical), in ascending order, merged into runs.
    /// Without <paramref name="byProtection"/>: entries at the same level, contiguous virtually and physically,
    /// with equal flags, form one run. With it: virtually contiguous pages with the same effective protection
    /// form one run whatever their frames and sizes (QEMU <c>info mem</c>, Linux ptdump).
    /// </summary>
    public static List<Mapping> Mappings<TMemory>(TMemory memory, ulong root, ulong from, ulong to, ProtectionRule? byProtection = null)
        where TMemory : struct, IPhysicalMemory
    {
        var runs = new List<Mapping>();
        if (byProtection is { } rule)
        {
            var visitor = new ProtectionRunsVisitor(new RunBuilder(runs), rule);
            TLayout.Walk(memory, root, from, to, ref visitor);
            visitor.Runs.Finish();
        }
        else
        {
            var visitor = new ExactRunsVisitor(new RunBuilder(runs));
            TLayout.Walk(memory, root, from, to, ref visitor);
            visitor.Runs.Finish();
        }
        return runs;
    }

    [InlineArray(8)]
    private struct PerLevel
    {
        private ulong _element;
    }

    /// <summary>The run being grown, as scalars (so the walk extends it in registers); size 0: none yet.</summary>
    private struct RunBuilder(List<Mapping> output)
    {
        private ulong _va, _pa, _size, _flags;
        private int _level;

        /// <summary>Extends the run with a page, or ends it and starts another. <paramref name="exact"/>: frames and level must continue too.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Add(ulong va, ulong pa, ulong size, ulong flags, int level, bool exact)
        {
            if (_size != 0 && _va + _size == va && _flags == flags && (!exact || (_pa + _size == pa && _level == level)))
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
            if (isLeaf && TLayout.IsPresent(value))
            {
                ulong size = TLayout.PageSize(level);
                Runs.Add(va, TLayout.EntryAddress(value) & ~(size - 1), size, value & ~TLayout.AddressMask, level, exact: true);
            }
            return 0;
        }
    }

    private struct ProtectionRunsVisitor : IPageTableVisitor<TEntry>
    {
        public RunBuilder Runs;
        private readonly ProtectionRule _rule;
        // Per level: what the table entries above it contribute to the effective protection.
        private PerLevel _allLevels;
        private PerLevel _anyLevel;

        public ProtectionRunsVisitor(RunBuilder runs, ProtectionRule rule)
        {
            Runs = runs;
            _rule = rule;
            _allLevels[TLayout.Levels] = ulong.MaxValue;
            _anyLevel[TLayout.Levels] = 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
        {
            ulong value = Read(entry);
            if (!isLeaf)
            {
                _allLevels[level - 1] = _allLevels[level] & (value | ~_rule.AllLevels);
                _anyLevel[level - 1] = _anyLevel[level] | (value & _rule.AnyLevel);
            }
            else if (TLayout.IsPresent(value))
            {
                ulong size = TLayout.PageSize(level);
                ulong protection = ((value & _allLevels[level]) | _anyLevel[level]) & _rule.Mask;
                Runs.Add(va, TLayout.EntryAddress(value) & ~(size - 1), size, protection, level, exact: false);
            }
            return 0;
        }
    }

    /// <summary>
    /// Translates every address of <paramref name="virtualAddresses"/> into <paramref name="physicalAddresses"/>
    /// (<see cref="NotMapped"/> where it is not mapped) and returns how many were mapped. The tables found
    /// for one address are kept: the next address starts at the lowest of them that covers it, so
    /// neighbouring addresses cost one or two entry reads instead of a walk from the root.
    /// </summary>
    public static int TranslateMany<TMemory>(TMemory memory, ulong root, ReadOnlySpan<ulong> virtualAddresses, Span<ulong> physicalAddresses)
        where TMemory : struct, IPhysicalMemory
    {
        if (physicalAddresses.Length < virtualAddresses.Length)
            throw new ArgumentException("The output span is shorter than the input span.", nameof(physicalAddresses));
        int top = TLayout.Levels;
        var rootTable = (TEntry*)memory.At(root, TLayout.TableBytes(top));
        if (rootTable == null)
        {
            physicalAddresses[..virtualAddresses.Length].Fill(NotMapped);
            return 0;
        }
        // tables[l]: the level-l table last descended into; tags[l]: the va >> (bits above that table's span), its identity.
        PerLevel tables = default;
        PerLevel tags = default;
        // The level-1 table of the last walk, apart from the rest: the common neighbour costs one entry read.
        TEntry* pageTable = null;
        ulong pageTableTag = 0;
        int mapped = 0;
        for (int i = 0; i < virtualAddresses.Length; i++)
        {
            ulong va = virtualAddresses[i];
            ulong pa = NotMapped;
            if (pageTable != null && va >> RegionShift(1) == pageTableTag)
            {
                ulong value = Read(pageTable + Index(va, 1));
                if (TLayout.IsPresent(value))
                {
                    pa = (TLayout.EntryAddress(value) & ~(PageBytes - 1)) | (va & (PageBytes - 1));
                    mapped++;
                }
            }
            else if (TLayout.IsCanonical(va))
            {
                int level = 2;
                while (level < top && (tables[level] == 0 || tags[level] != va >> RegionShift(level)))
                    level++;
                var table = level == top ? rootTable : (TEntry*)tables[level];
                while (true)
                {
                    ulong value = Read(table + Index(va, level));
                    if (!TLayout.IsPresent(value))
                        break;
                    if (TLayout.IsLeaf(value, level))
                    {
                        ulong offset = TLayout.PageSize(level) - 1;
                        pa = (TLayout.EntryAddress(value) & ~offset) | (va & offset);
                        mapped++;
                        break;
                    }
                    table = (TEntry*)memory.At(TLayout.EntryAddress(value), TLayout.TableBytes(level - 1));
                    if (table == null)
                        break;
                    level--;
                    tables[level] = (ulong)table;
                    tags[level] = va >> RegionShift(level);
                    if (level == 1)
                    {
                        pageTable = table;
                        pageTableTag = tags[1];
                    }
                }
            }
            physicalAddresses[i] = pa;
        }
        return mapped;
    }

    /// <summary>log2 of the bytes one table at <paramref name="level"/> spans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RegionShift(int level) => TLayout.Shift(level) + BitOperations.Log2((uint)TLayout.Entries(level));
}
