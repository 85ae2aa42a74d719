using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Walkers.PtDump.Roots;

/// <summary>
/// Stage 4 (rules.md §7): every live root's kernel VA is stored somewhere (mm_struct.pgd, init_mm.pgd). The kernel
/// root's kernel half gives each root's kernel VAs (linear-map alias, kernel-image alias); one pass over the
/// nonzero pages counts the aligned pointer-sized words equal to one. Needs the kernel root, so cut-downs skip it.
/// </summary>
internal static class BackReferences
{
    /// <summary>Tables the kernel-VA walk enters at most (it is not memoised: a table reached twice gives other VAs).</summary>
    private const int MaxTables = 20000;

    /// <summary>Kernel VAs recorded per root at most, on average: real kernels have 1 or 2.</summary>
    private const int AliasesPerRoot = 16;

    public static void Count(ScanContext context, List<ValidatedRoot> roots)
    {
        var kernel = roots.FirstOrDefault(r => r.Role == RootRole.Kernel);
        if (kernel is null)
            return;
        var targets = roots.Select(r => r.Root).Order().ToArray();
        var aliases = new KernelAliases(context.Mode, context.Pages, targets);
        aliases.WalkKernelHalf(kernel);
        var hits = aliases.CountIn(context.NonzeroPages);
        foreach (var root in roots)
            root.BackReferences = hits[Array.BinarySearch(targets, root.Root)];
    }

    /// <summary>Each root's kernel VAs, and the count of words equal to one.</summary>
    private sealed class KernelAliases(PagingMode mode, ImagePages pages, ulong[] targets)
    {
        private readonly Dictionary<ulong, int> _targetOf = []; // kernel VA -> index in targets
        private readonly Dictionary<ulong, bool> _reachesTarget = []; // (table | level) -> maps a target's frame
        private readonly ulong[] _lowBits = new ulong[ImagePages.PageBytes / 64]; // which VA & 0xfff occur: a cheap first test
        private int _aliasesLeft = AliasesPerRoot * targets.Length;
        private int _tablesLeft = MaxTables;

        /// <summary>x86 and RISC-V: the root entries from the split on; AArch64: all of swapper_pg_dir (TTBR1).</summary>
        public void WalkKernelHalf(ValidatedRoot kernel)
        {
            int levels = mode.Levels;
            ulong rootPage = kernel.Root & ~ImagePages.PageMask;
            for (int i = mode.KernelSplit ?? 0; i < kernel.Entries.Length; i++)
            {
                if (kernel.Entries[i] == 0)
                    continue;
                var decoded = mode.Decode(kernel.Entries[i], levels);
                ulong va = (ulong)i << mode.IndexShift(levels);
                if (decoded.Kind == DecodedKind.Leaf)
                    AddLeaf(decoded, va);
                else if (decoded.Kind == DecodedKind.Table && decoded.Address != rootPage) // a self-map slot is not walked
                    WalkTable(decoded.Address, levels - 1, va);
            }
        }

        private void WalkTable(ulong address, int level, ulong va)
        {
            if (_aliasesLeft <= 0 || !ReachesTarget(address, level) || _tablesLeft-- <= 0)
                return;
            var entries = mode.Table(pages, address)!.Value;
            for (int i = 0; i < entries.Count; i++)
            {
                ulong entry = entries[i];
                if (entry == 0)
                    continue;
                var decoded = mode.Decode(entry, level);
                ulong entryVa = va + ((ulong)i << mode.IndexShift(level));
                if (decoded.Kind == DecodedKind.Leaf)
                    AddLeaf(decoded, entryVa);
                else if (decoded.Kind == DecodedKind.Table && level > 1)
                    WalkTable(decoded.Address, level - 1, entryVa);
            }
        }

        /// <summary>
        /// Whether a leaf under the table maps a target's frame, memoised per (table, level): the VA walk enters
        /// only those subtrees, so tables repeating a pointer to a subtree without targets cost nothing.
        /// </summary>
        private bool ReachesTarget(ulong address, int level)
        {
            ulong key = address | (uint)level;
            if (_reachesTarget.TryGetValue(key, out bool known))
                return known;
            bool reaches = false;
            if (mode.Table(pages, address) is { } entries)
            {
                for (int i = 0; i < entries.Count && !reaches; i++)
                {
                    if (entries[i] == 0)
                        continue;
                    var decoded = mode.Decode(entries[i], level);
                    reaches = decoded.Kind == DecodedKind.Leaf ? FirstTargetIn(decoded) is not null
                        : decoded.Kind == DecodedKind.Table && level > 1 && ReachesTarget(decoded.Address, level - 1);
                }
            }
            _reachesTarget[key] = reaches;
            return reaches;
        }

        /// <summary>The index of the first target inside the leaf's frames.</summary>
        private int? FirstTargetIn(DecodedEntry leaf)
        {
            int i = Array.BinarySearch(targets, leaf.Address);
            i = i < 0 ? ~i : i;
            return i < targets.Length && targets[i] - leaf.Address < (ulong)leaf.Pages * ImagePages.PageBytes ? i : null;
        }

        /// <summary>Records the VA of every target inside the leaf's frames.</summary>
        private void AddLeaf(DecodedEntry leaf, ulong va)
        {
            if (FirstTargetIn(leaf) is not int first)
                return;
            ulong bytes = (ulong)leaf.Pages * ImagePages.PageBytes;
            for (int i = first; i < targets.Length && targets[i] - leaf.Address < bytes && _aliasesLeft > 0; i++, _aliasesLeft--)
            {
                ulong alias = mode.KernelAddress(va + (targets[i] - leaf.Address));
                _targetOf[alias] = i;
                _lowBits[(alias & ImagePages.PageMask) >> 6] |= 1UL << (int)(alias & 63);
            }
        }

        /// <summary>Hits per target: the aligned words of the kernel's pointer size equal to one of its VAs.</summary>
        public int[] CountIn(List<ImagePage> nonzeroPages)
        {
            var hits = new int[targets.Length];
            if (_targetOf.Count == 0)
                return hits;
            ulong lowest = _targetOf.Keys.Min(), highest = _targetOf.Keys.Max();
            foreach (var page in nonzeroPages)
            {
                if (mode.PointerBytes == 8)
                    CountWords(MemoryMarshal.Cast<byte, ulong>(page.Bytes), lowest, highest, hits);
                else
                    CountWords(MemoryMarshal.Cast<byte, uint>(page.Bytes), (uint)lowest, (uint)highest, hits);
            }
            return hits;
        }

        private void CountWords<T>(ReadOnlySpan<T> words, T lowest, T highest, int[] hits)
            where T : unmanaged, IBinaryInteger<T>, IUnsignedNumber<T>
        {
            // Most words lie outside [lowest, highest] (zeros, small integers, user pointers): one vector compare skips them.
            var low = new Vector<T>(lowest);
            var width = new Vector<T>(highest - lowest);
            int i = 0;
            for (; i + Vector<T>.Count <= words.Length; i += Vector<T>.Count)
            {
                if (!Vector.LessThanOrEqualAny(new Vector<T>(words[i..]) - low, width))
                    continue;
                for (int j = i; j < i + Vector<T>.Count; j++)
                    Check(ulong.CreateTruncating(words[j]), hits);
            }
            for (; i < words.Length; i++)
                Check(ulong.CreateTruncating(words[i]), hits);
        }

        private void Check(ulong word, int[] hits)
        {
            if ((_lowBits[(word & ImagePages.PageMask) >> 6] >> (int)(word & 63) & 1) != 0 && _targetOf.TryGetValue(word, out int target))
                hits[target]++;
        }
    }
}
