using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Threading;
using CsCheck;
using Walkers.Layouts;

namespace Walkers.Fuzz;

/// <summary>
/// The walkers and every operation over hostile tables in fenced simulated memory (a read or write past either end
/// faults: the process dies, which the fuzzer sees as a crash).
/// </summary>
/// <remarks>
/// <para>Input (<see cref="InputReader"/>; bytes past the end read as 0): a header — layout (any ready layout, either half),
/// number of table slots, spare slots, physical start, root, range, the operations' arguments — then table-building
/// commands until the end: single entries (to a slot, an offset in one, the last page, the first byte past the end,
/// anywhere), self-loops, two-table cycles, every entry of a table at the last page, runs of leaves, raw bytes, chains.</para>
/// <para>Memory: [image slots][spare slots][last slot], each slot the layout's largest table. The image slots and the
/// last one hold the hostile tables; the operations allocate from the spare slots only (<see cref="SlotAllocator"/>),
/// which never owns the image's tables, so Unmap never frees them.</para>
/// <para>Contract: the generated Walk and WalkTree visit exactly what the reference walker (<see cref="ReferenceWalker"/>
/// over the layout's <see cref="LevelTable"/>) visits, with the same SkipSubtree and stop decisions; the layout's Kind
/// agrees with the LevelTable's; a walk under a <see cref="WalkLimit"/> visits at most levels x the entries of the
/// distinct tables it entered; GetEntry, TryTranslate and TranslateMany agree with a one-address reference walk;
/// Mappings returns ordered, disjoint runs inside the range whose ends translate as listed, or TablesRepeat; Map,
/// Protect and Unmap throw nothing but ArgumentException (and then change nothing), fail only with their documented
/// statuses and then change nothing (every byte of memory and the allocator as before), and on a tree-shaped image
/// do what they say (the range's ends translate, or do not, as asked). Nothing crashes.</para>
/// </remarks>
public static unsafe class WalkersTarget
{
    public const int MaxInputBytes = 1 << 16;

    /// <summary>Visits recorded per differential walk; the walks are cut there (hostile tables repeat without end).</summary>
    private const int RecordedVisits = 4096;

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputBytes)
            return;
        var reader = new InputReader(input);
        var layout = ReadyLayouts.All[reader.Choose(ReadyLayouts.All.Length)];
        byte shape = reader.Byte();
        var handle = (shape & 1) != 0 && layout.Upper is not null ? layout.Upper : layout.Lower;
        var header = new Header(ref reader, shape);
        // The commands are the rest of the input: copied, since a ref struct cannot cross the generic dispatch.
        var commands = reader.Rest().ToArray();
        handle.Accept(new Exec(header, commands));
    }

    /// <summary>
    /// The same checks for a layout given as types (the generator target runs them on layouts it has just generated,
    /// compiled and loaded): <paramref name="input"/> is read as by <see cref="Run"/>, its layout byte ignored.
    /// </summary>
    public static void RunLayout<TLayout, TEntry>(ReadOnlySpan<byte> input)
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        var reader = new InputReader(input);
        reader.Byte();
        var header = new Header(ref reader, reader.Byte());
        new Case<TLayout, TEntry>(header, reader.Rest().ToArray()).Run();
    }

    /// <summary>The part of the input read before the commands: every choice that does not build tables.</summary>
    private readonly struct Header
    {
        public readonly int ImageSlots, SpareSlots, StartSlots;
        public readonly byte RootChoice, RangeChoice, SkipMask;
        public readonly ulong RootRandom, From, To, OpVa, OpPa, Clear, Set, FlagsRandom;
        public readonly byte SizeChoice, FlagsChoice, MapOptionBits, UnmapOptionBits, LimitChoice, ProtChoice, Order;

        public Header(ref InputReader reader, byte shape)
        {
            ImageSlots = 1 + (shape >> 1 & 3) + (shape >> 3 & 1) * 2;      // 1..6
            SpareSlots = (shape >> 4 & 3) switch { 0 => 0, 1 => 1, 2 => 3, _ => 8 };
            StartSlots = (shape >> 6 & 1) * 16 + (shape >> 7);             // physical start, in slots
            RootChoice = reader.Byte();
            RootRandom = reader.U64();
            RangeChoice = reader.Byte();
            From = reader.U64();
            To = reader.U64();
            SkipMask = reader.Byte();
            OpVa = reader.U64();
            SizeChoice = reader.Byte();
            OpPa = reader.U64();
            FlagsChoice = reader.Byte();
            FlagsRandom = reader.U64();
            MapOptionBits = reader.Byte();
            UnmapOptionBits = reader.Byte();
            ProtChoice = reader.Byte();
            Clear = reader.U64();
            Set = reader.U64();
            LimitChoice = reader.Byte();
            Order = reader.Byte();
        }
    }

    private sealed class Exec(Header header, byte[] commands) : ILayoutAction<int>
    {
        public int Run<TLayout, TEntry>()
            where TLayout : struct, IPageTableLayout<TEntry>
            where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
        {
            new Case<TLayout, TEntry>(header, commands).Run();
            return 0;
        }
    }

    /// <summary>One execution, for one layout.</summary>
    private sealed class Case<TLayout, TEntry>
        where TLayout : struct, IPageTableLayout<TEntry>
        where TEntry : unmanaged, IBinaryInteger<TEntry>, IUnsignedNumber<TEntry>
    {
        private readonly Header _h;
        private readonly byte[] _commands;
        private readonly uint _slot;          // bytes of one slot: the largest table, at least a frame
        private readonly int _slots;          // image + spare + last
        private readonly ulong _start;
        private readonly ulong _end;
        private readonly LevelTable _table = TLayout.LevelTable;
        private ulong _root;
        private ulong _from, _to;

        public Case(Header header, byte[] commands)
        {
            _h = header;
            _commands = commands;
            uint largest = 0;
            for (int level = 1; level <= TLayout.Levels; level++)
                largest = Math.Max(largest, TLayout.TableBytes(level));
            _slot = Math.Max(largest, (uint)SimulatedMemory.FrameSize);
            _slots = header.ImageSlots + header.SpareSlots + 1;
            _start = (ulong)header.StartSlots * _slot;
            _end = _start + (ulong)_slots * _slot;
        }

        private static int EntryBytes => sizeof(TEntry);

        private ulong SlotBase(int slot) => _start + (ulong)slot * _slot;

        /// <summary>The slots that hold the image's tables: the first ones and the very last.</summary>
        private int ImageSlot(int choice) => choice % (_h.ImageSlots + 1) is var s && s == _h.ImageSlots ? _slots - 1 : s;

        private static ulong Read(TEntry* entry) => ulong.CreateTruncating(*entry);

        public void Run()
        {
            using var simulated = new SimulatedMemory((ulong)_slots * _slot, _start);
            var memory = simulated.View;
            var allocator = new SlotAllocator(memory, SlotBase(_h.ImageSlots), _h.SpareSlots, _slot);
            Build(memory);
            _root = Root();
            (_from, _to) = Range();

            CheckKinds(memory);
            DifferentialWalks(memory);
            LimitedWalkBound(memory, _from, _to, out _);
            Lookups(memory);
            MappingsListing(memory);

            // The operations, in an order the input picks, each on what the one before left.
            int order = _h.Order;
            for (int i = 0; i < 3; i++)
            {
                switch ((order + i) % 3)
                {
                    case 0: Operation(memory, allocator, "Map"); break;
                    case 1: Operation(memory, allocator, "Protect"); break;
                    default: Operation(memory, allocator, "Unmap"); break;
                }
            }
            // What the operations wrote is walked like anything else.
            DifferentialWalks(memory);
            Lookups(memory);
        }

        // ----- Building the image -----

        /// <summary>An address an entry points to: a slot, inside one, the last page, the first byte past the end, anywhere.</summary>
        private ulong Target(ref InputReader reader)
        {
            byte choice = reader.Byte();
            return (choice % 8) switch
            {
                0 or 1 => SlotBase(ImageSlot(reader.Byte())),
                2 => SlotBase(ImageSlot(reader.Byte())) + (ulong)(reader.U16() % _slot & ~(EntryBytes - 1)),
                3 => _end - (1UL << TLayout.PageShift),                        // the last page
                4 => _end,                                                     // the first byte past the end
                5 => _end - (ulong)(EntryBytes * (1 + reader.Byte() % 8)),     // a table that would straddle the end
                6 => _start - (1UL << TLayout.PageShift) * (1UL + reader.Byte()), // below the start
                _ => reader.U64(),
            };
        }

        /// <summary>Flags for an entry: a level's table prot, a level's leaf encoding, random flag bits, or nothing.</summary>
        private ulong Flags(ref InputReader reader)
        {
            byte choice = reader.Byte();
            int level = 1 + (choice >> 3) % TLayout.Levels;
            return (choice % 5) switch
            {
                0 => TLayout.Prot(level),
                1 => TLayout.LeafFlags(TLayout.Prot(1), level),
                2 => reader.U64() & ~TLayout.AddressMask,
                3 => TLayout.PresentMask,
                _ => 0,
            };
        }

        private ulong EntryValue(ref InputReader reader) =>
            reader.Byte() % 8 == 0 ? reader.U64() : TLayout.MakeEntry(Target(ref reader), Flags(ref reader));

        private TEntry* EntryAt(FlatMemory memory, int slot, int index) =>
            (TEntry*)memory.At(SlotBase(slot) + (ulong)(index % (_slot / EntryBytes) * EntryBytes), (uint)EntryBytes);

        private void Build(FlatMemory memory)
        {
            var reader = new InputReader(_commands);
            int entriesPerSlot = (int)(_slot / EntryBytes);
            while (!reader.AtEnd)
            {
                byte command = reader.Byte();
                int slot = ImageSlot(reader.Byte());
                switch (command % 9)
                {
                    case 0:
                    case 1: // one entry
                        *EntryAt(memory, slot, reader.U16()) = TEntry.CreateTruncating(EntryValue(ref reader));
                        break;
                    case 2: // a self-loop: every entry of the slot points back to it
                    {
                        ulong value = TLayout.MakeEntry(SlotBase(slot), Flags(ref reader));
                        for (int i = 0; i < entriesPerSlot; i++)
                            *EntryAt(memory, slot, i) = TEntry.CreateTruncating(value);
                        break;
                    }
                    case 3: // two tables that link each other
                    {
                        int other = ImageSlot(reader.Byte());
                        ulong flags = Flags(ref reader);
                        *EntryAt(memory, slot, reader.U16()) = TEntry.CreateTruncating(TLayout.MakeEntry(SlotBase(other), flags));
                        *EntryAt(memory, other, reader.U16()) = TEntry.CreateTruncating(TLayout.MakeEntry(SlotBase(slot), flags));
                        break;
                    }
                    case 4: // every entry at the last page (or the last table)
                    {
                        ulong target = reader.Bool() ? _end - (1UL << TLayout.PageShift) : SlotBase(_slots - 1);
                        ulong value = TLayout.MakeEntry(target, Flags(ref reader));
                        for (int i = 0; i < entriesPerSlot; i++)
                            *EntryAt(memory, slot, i) = TEntry.CreateTruncating(value);
                        break;
                    }
                    case 5: // entries at the first byte past the end
                    {
                        ulong value = TLayout.MakeEntry(_end, Flags(ref reader));
                        int first = reader.U16(), count = 1 + reader.Byte();
                        for (int i = 0; i < count; i++)
                            *EntryAt(memory, slot, first + i) = TEntry.CreateTruncating(value);
                        break;
                    }
                    case 6: // a run of leaves, as a kernel would write them
                    {
                        int level = 1 + reader.Byte() % TLayout.Levels;
                        ulong pa = reader.U64() & ~(TLayout.PageSize(level) - 1);
                        ulong flags = TLayout.LeafFlags(TLayout.Prot(1), level);
                        int first = reader.U16(), count = 1 + reader.Byte();
                        for (int i = 0; i < count; i++)
                            *EntryAt(memory, slot, first + i) = TEntry.CreateTruncating(TLayout.MakeEntry(pa + (ulong)i * TLayout.PageSize(level), flags));
                        break;
                    }
                    case 7: // raw bytes
                    {
                        int offset = reader.U16() % (int)_slot;
                        var bytes = reader.Take(1 + reader.Byte());
                        int count = Math.Min(bytes.Length, (int)_slot - offset);
                        bytes[..count].CopyTo(new Span<byte>((byte*)memory.At(SlotBase(slot), _slot) + offset, count));
                        break;
                    }
                    default: // a chain of tables from the slot, down the levels, at the indices of an address
                    {
                        ulong va = reader.U64();
                        int level = TLayout.Levels;
                        int at = slot;
                        while (level > 1)
                        {
                            int next = ImageSlot(reader.Byte());
                            var entry = EntryAt(memory, at, (int)(va >> TLayout.Shift(level) & (ulong)(TLayout.Entries(level) - 1)));
                            *entry = TEntry.CreateTruncating(TLayout.MakeEntry(SlotBase(next), TLayout.Prot(level)));
                            at = next;
                            level--;
                        }
                        *EntryAt(memory, at, (int)(va >> TLayout.Shift(1) & (ulong)(TLayout.Entries(1) - 1))) =
                            TEntry.CreateTruncating(TLayout.MakeEntry(va & TLayout.AddressMask & ~((1UL << TLayout.PageShift) - 1), TLayout.Prot(1)));
                        break;
                    }
                }
            }
        }

        private ulong Root() => (_h.RootChoice % 8) switch
        {
            0 or 1 or 2 => SlotBase(0),
            3 => SlotBase(_slots - 1),                                   // the last slot
            4 => _end,                                                   // past the end
            5 => _end - TLayout.TableBytes(TLayout.Levels),              // the top table ends at the last byte
            6 => SlotBase(0) + (ulong)EntryBytes * (1 + _h.RootRandom % 16), // misaligned
            _ => _h.RootRandom,
        };

        private (ulong From, ulong To) Range()
        {
            ulong half = 1UL << (TLayout.VirtualAddressBits - 1);
            return (_h.RangeChoice % 8) switch
            {
                0 or 1 => (0, ulong.MaxValue),
                2 => (_h.From, _h.To),
                3 => (Math.Min(_h.From, _h.To), Math.Max(_h.From, _h.To)),
                4 => (TLayout.Canonical(half - 1), TLayout.Canonical(half)),  // across the hole, or the top of a half
                5 => (TLayout.Canonical(_h.From), TLayout.Canonical(_h.From) + (_h.To & 0xFF_FFFF)),
                6 => (ulong.MaxValue - (_h.From & 0xFFFF_FFFF), ulong.MaxValue),
                _ => (TLayout.Canonical(_h.From), ulong.MaxValue),
            };
        }

        // ----- Checks -----

        private void CheckKinds(FlatMemory memory)
        {
            // The generated Kind and the table-driven one agree on every word of the image.
            for (int slot = 0; slot < _slots; slot++)
            {
                var words = (TEntry*)memory.At(SlotBase(slot), _slot);
                for (int i = 0; i < (int)(_slot / EntryBytes); i++)
                {
                    ulong value = Read(words + i);
                    if (value == 0)
                        continue;
                    for (int level = 1; level <= TLayout.Levels; level++)
                    {
                        var kind = TLayout.Kind(value, level);
                        Check.That(kind == _table.Kind(value, level), $"Kind(0x{value:x}, {level}): generated {kind}, LevelTable {_table.Kind(value, level)}");
                        Check.That(TLayout.IsLeaf(value, level) == (kind != EntryKind.Table), $"IsLeaf(0x{value:x}, {level}) disagrees with Kind {kind}");
                        if (kind == EntryKind.Table)
                            Check.That(TLayout.EntryAddress(value) == _table.EntryAddress(value), $"EntryAddress(0x{value:x}) disagrees with the LevelTable");
                    }
                }
            }
        }

        private void DifferentialWalks(FlatMemory memory)
        {
            var generated = new Recorder(_h.SkipMask);
            var reference = new Recorder(_h.SkipMask);
            int a = TLayout.Walk(memory, _root, _from, _to, ref generated);
            int b = ReferenceWalker.Walk<TEntry, FlatMemory, Recorder>(_table, memory, _root, _from, _to, ref reference);
            Compare("Walk", a, b, generated, reference);

            var generatedTree = new Recorder(_h.SkipMask) { Tree = true };
            var referenceTree = new Recorder(_h.SkipMask) { Tree = true };
            a = TLayout.WalkTree(memory, _root, _from, _to, ref generatedTree);
            b = ReferenceWalker.WalkTree<TEntry, FlatMemory, Recorder>(_table, memory, _root, _from, _to, ref referenceTree);
            Compare("WalkTree", a, b, generatedTree, referenceTree);
        }

        private void Compare(string walk, int a, int b, Recorder generated, Recorder reference)
        {
            string where = $"{walk} of {_table} from root 0x{_root:x} over [0x{_from:x}, 0x{_to:x}]";
            int count = Math.Min(generated.Visits.Count, reference.Visits.Count);
            for (int i = 0; i < count; i++)
                Check.That(generated.Visits[i] == reference.Visits[i], $"{where}: visit {i} is {generated.Visits[i]}, the reference walker's {reference.Visits[i]}");
            Check.That(generated.Visits.Count == reference.Visits.Count, $"{where}: {generated.Visits.Count} visits, the reference walker's {reference.Visits.Count}");
            Check.That(a == b, $"{where}: returned {a}, the reference walker {b}");
            foreach (var visit in generated.Visits)
                Check.That(visit.Kind == 'L' || visit.Va == TLayout.Canonical(visit.Va), $"{where}: a visit at the non-canonical 0x{visit.Va:x}");
        }

        /// <summary>The walk under the default limit; true when it shows a tree (every table entered once, each a slot) and covered its range.</summary>
        private bool LimitedWalkBound(FlatMemory memory, ulong from, ulong to, out bool tree)
        {
            var counter = new TableCounter(memory);
            var limit = new WalkLimit();
            int result = LimitedWalk.Walk<TLayout, TEntry, FlatMemory, TableCounter>(memory, _root, from, to, ref counter, limit);
            string where = $"limited walk of {_table} from root 0x{_root:x} over [0x{from:x}, 0x{to:x}]";
            Check.That(result is 0 or WalkControl.Limited, $"{where}: returned {result}");
            Check.That((result == WalkControl.Limited) == (limit.Stop != WalkStop.None), $"{where}: returned {result} with Stop {limit.Stop}");
            Check.That(counter.Visits == limit.Visited, $"{where}: the visitor saw {counter.Visits} entries, the limit counted {limit.Visited}");
            // The rule: levels x the entries of the distinct tables entered (the root is entered when it is in memory).
            long allowed = 0;
            var rootTable = memory.At(_root, TLayout.TableBytes(TLayout.Levels));
            // The root counts with the root level's entries, even where the walk enters it again at a lower level of
            // another size (the limit knows a table by its address, from the first time it was entered).
            if (rootTable != null)
                allowed += TLayout.Entries(TLayout.Levels);
            foreach (var (table, entries) in counter.Entered)
                allowed += table == _root && rootTable != null ? 0 : entries;
            allowed *= limit.RepeatsPerTable;
            Check.That(limit.Visited <= allowed, $"{where}: visited {limit.Visited} entries, more than {limit.RepeatsPerTable} x the {counter.Entered.Count + (rootTable != null && !counter.Entered.ContainsKey(_root) ? 1 : 0)} distinct tables entered allow ({allowed})");
            tree = rootTable != null && IsSlotBase(_root) && limit.Stop == WalkStop.None && counter.Shared == 0 && counter.Outside == 0 && !counter.Entered.ContainsKey(_root) && counter.AllSlots(this);
            return limit.Stop == WalkStop.None;
        }

        private bool IsSlotBase(ulong address) => address >= _start && address < _end && (address - _start) % _slot == 0;

        /// <summary>The addresses a lookup is asked about: the range's ends, the operations' address, and one per image slot's index.</summary>
        private List<ulong> Addresses()
        {
            var addresses = new List<ulong> { _from, _to, _h.OpVa, _h.RootRandom, TLayout.Canonical(_h.OpVa), _h.From, _h.To };
            for (int slot = 0; slot < Math.Min(_slots, 4); slot++)
                addresses.Add(TLayout.Canonical((ulong)slot << TLayout.Shift(TLayout.Levels)));
            addresses.Add(TLayout.Canonical(ulong.MaxValue));
            return addresses;
        }

        private void Lookups(FlatMemory memory)
        {
            var addresses = Addresses();
            var many = new ulong[addresses.Count];
            int mapped = PageTables<TLayout, TEntry>.TranslateMany(memory, _root, addresses.ToArray(), many);
            int counted = 0;
            for (int i = 0; i < addresses.Count; i++)
            {
                ulong va = addresses[i];
                string where = $"{_table} root 0x{_root:x}, va 0x{va:x}";
                // The reference: a walk of the one (untagged) address; its last visit is where a lookup stops.
                ulong untagged = TLayout.Untag(va);
                var last = new LastVisit();
                if (TLayout.IsCanonical(untagged))
                    ReferenceWalker.Walk<TEntry, FlatMemory, LastVisit>(_table, memory, _root, untagged, untagged, ref last);
                TEntry* expected = null;
                if (last.Entry != null && last.IsLeaf)
                    expected = last.Level == 1 || TLayout.Kind(Read(last.Entry), last.Level) != EntryKind.Absent ? last.Entry : null;
                TEntry* entry = TLayout.GetEntry(memory, _root, va);
                Check.That(entry == expected, $"{where}: GetEntry gave 0x{(nint)entry:x}, the reference walk 0x{(nint)expected:x} (level {last.Level})");
                bool translated = TLayout.TryTranslate(memory, _root, va, out ulong pa);
                bool leaf = expected != null && TLayout.Kind(Read(expected), last.Level) == EntryKind.Leaf;
                Check.That(translated == leaf, $"{where}: TryTranslate {translated}, but the entry is {(expected == null ? "none" : TLayout.Kind(Read(expected), last.Level).ToString())}");
                if (translated)
                {
                    ulong offset = TLayout.PageSize(last.Level) - 1;
                    ulong frame = TLayout.EntryAddress(Read(expected)) & ~offset;
                    Check.That(pa == (frame | (untagged & offset)), $"{where}: TryTranslate gave 0x{pa:x}, the level-{last.Level} entry 0x{Read(expected):x} says 0x{frame | (untagged & offset):x}");
                    counted++;
                }
                Check.That(many[i] == (translated ? pa : PageTables<TLayout, TEntry>.NotMapped), $"{where}: TranslateMany gave 0x{many[i]:x}, TryTranslate {translated} 0x{pa:x}");
            }
            Check.That(mapped == counted, $"TranslateMany counted {mapped} mapped, TryTranslate {counted}");
        }

        private void MappingsListing(FlatMemory memory)
        {
            foreach (var options in new[]
            {
                default(MappingOptions),
                new MappingOptions { ProtectionMask = (TLayout.Prot(1) | _h.FlagsRandom) & ~TLayout.AddressMask | TLayout.PresentMask, SplitAtLevelChanges = (_h.SkipMask & 1) != 0 },
            })
            {
                var runs = new List<Mapping>();
                var result = PageTables<TLayout, TEntry>.Mappings(memory, _root, _from, _to, runs, options);
                string where = $"Mappings of {_table} root 0x{_root:x} over [0x{_from:x}, 0x{_to:x}] mask 0x{options.ProtectionMask:x}";
                Check.That(result.Succeeded || result.Status == PageTableStatus.TablesRepeat, $"{where}: {result}");
                for (int i = 0; i < runs.Count; i++)
                {
                    var run = runs[i];
                    Check.That(run.Size > 0 && run.LastAddress >= run.VirtualAddress, $"{where}: an empty or wrapping run {run}");
                    Check.That(TLayout.IsCanonical(run.VirtualAddress) && TLayout.IsCanonical(run.LastAddress), $"{where}: a run outside the address space: {run}");
                    if (i > 0)
                        Check.That(runs[i - 1].LastAddress < run.VirtualAddress, $"{where}: runs out of order or overlapping: {runs[i - 1]} then {run}");
                    if (i < 64 && options.ProtectionMask == 0)
                    {
                        Check.That(TLayout.TryTranslate(memory, _root, run.VirtualAddress, out ulong pa) && pa == run.PhysicalAddress,
                            $"{where}: run {run} starts where TryTranslate says 0x{pa:x}");
                        ulong lastPage = run.LastAddress & ~(TLayout.PageSize(run.Level) - 1);
                        Check.That(TLayout.TryTranslate(memory, _root, lastPage, out pa) && pa == run.PhysicalAddress + (lastPage - run.VirtualAddress),
                            $"{where}: run {run} ends where TryTranslate says 0x{pa:x}");
                    }
                }
            }
        }

        private (ulong Va, ulong Size) OperationRange()
        {
            ulong page = 1UL << TLayout.PageShift;
            ulong va = TLayout.Canonical(_h.OpVa) & ~(page - 1);
            if ((_h.SizeChoice & 0x80) != 0)
                va = _h.OpVa; // as given: misaligned, non-canonical, tagged
            ulong size = (_h.SizeChoice % 8) switch
            {
                0 => 0,
                1 or 2 => page,
                3 => page * (1UL + (_h.OpPa >> 56)),
                4 => TLayout.PageSize(Math.Min(2, TLayout.Levels)),
                5 => TLayout.PageSize(Math.Min(2, TLayout.Levels)) * 2 + page,
                6 => TLayout.PageSize(TLayout.Levels),
                _ => _h.OpPa & 0xFFFF_F000,
            };
            return (va, size);
        }

        private WalkLimit? Limit() => (_h.LimitChoice % 4) switch
        {
            0 or 1 => null,
            2 => new WalkLimit(repeatsPerTable: 1 + _h.LimitChoice / 4 % 3),
            // Unbounded over hostile tables is unbounded work (512^5 visits of a self-loop): cancelled from the start, so the
            // walk stops at its first check (every 4096 entries) and the operation must fail with Cancelled, changing nothing.
            _ => WalkLimit.Unbounded(new CancellationToken(canceled: true)),
        };

        private void Operation(FlatMemory memory, SlotAllocator allocator, string name)
        {
            var (va, size) = OperationRange();
            ulong page = 1UL << TLayout.PageShift;
            ulong pa = _h.OpPa & TLayout.AddressMask & ~(page - 1);
            if ((_h.FlagsChoice & 0x80) == 0)
                pa &= 0xFFFF_FFFF; // fits any layout's address field
            ulong flags = (_h.FlagsChoice % 4) switch
            {
                0 or 1 => TLayout.Prot(1),
                2 => TLayout.Prot(1) | (_h.FlagsRandom & ~TLayout.AddressMask),
                _ => _h.FlagsRandom,
            };
            ulong clear = (_h.ProtChoice % 4) switch
            {
                0 => TLayout.Prot(1) & ~TLayout.PresentMask,
                1 => _h.Clear & ~TLayout.AddressMask & ~TLayout.PresentMask,
                2 => 0,
                _ => _h.Clear,
            };
            ulong set = (_h.ProtChoice >> 2 & 3) switch
            {
                0 => 0,
                1 => _h.Set & ~TLayout.AddressMask,
                2 => TLayout.Prot(1) & ~TLayout.PresentMask,
                _ => _h.Set,
            };
            var mapOptions = (MapOptions)(_h.MapOptionBits & 3);
            var unmapOptions = (UnmapOptions)(_h.UnmapOptionBits & 1);
            bool tree = false;
            ulong untagged = TLayout.Untag(va);
            if (size != 0 && untagged + (size - 1) >= untagged)
                LimitedWalkBound(memory, untagged, untagged + (size - 1), out tree);
            bool firstMapped = TLayout.TryTranslate(memory, _root, va, out ulong firstPa);

            var before = Snapshot(memory);
            int tablesBefore = allocator.TablesInUse;
            allocator.Dirty = false;
            PageTableResult result;
            string call = $"{name} on {_table} root 0x{_root:x} va 0x{va:x} size 0x{size:x}";
            try
            {
                result = name switch
                {
                    "Map" => PageTables<TLayout, TEntry>.Map(memory, allocator, _root, va, pa, size, flags, mapOptions, Limit()),
                    "Protect" => PageTables<TLayout, TEntry>.Protect(memory, allocator, _root, va, size, clear, set, Limit()),
                    _ => PageTables<TLayout, TEntry>.Unmap(memory, allocator, _root, va, size, unmapOptions, Limit()),
                };
            }
            catch (ArgumentException e)
            {
                Check.That(Same(memory, before) && allocator.TablesInUse == tablesBefore, $"{call}: threw '{e.Message}' after changing memory");
                return;
            }
            call += name switch { "Map" => $" pa 0x{pa:x} flags 0x{flags:x} {mapOptions}", "Protect" => $" clear 0x{clear:x} set 0x{set:x}", _ => $" {unmapOptions}" };
            if (!result.Succeeded)
            {
                var allowed = name switch
                {
                    "Map" => result.Status is PageTableStatus.AlreadyMapped or PageTableStatus.OutOfTables or PageTableStatus.TableOutsideMemory
                        or PageTableStatus.TablesRepeat or PageTableStatus.Cancelled,
                    "Protect" => result.Status is PageTableStatus.OutOfTables or PageTableStatus.TableOutsideMemory or PageTableStatus.TablesRepeat
                        or PageTableStatus.NotALeaf or PageTableStatus.Cancelled,
                    _ => result.Status is PageTableStatus.OutOfTables or PageTableStatus.TableOutsideMemory or PageTableStatus.TablesRepeat or PageTableStatus.Cancelled,
                };
                Check.That(allowed, $"{call}: failed with {result.Status}: {result.Message}");
                Check.That(!string.IsNullOrEmpty(result.Message), $"{call}: failed with {result.Status} and no message");
                // A free slot that a hostile entry reaches gets written while free; zeroing it on allocation is then not the operation's doing.
                if (!allocator.Dirty)
                {
                    Check.That(Same(memory, before), $"{call}: failed with {result.Status} ({result.Message}) but changed memory at 0x{FirstDifference(memory, before):x}");
                    Check.That(allocator.TablesInUse == tablesBefore, $"{call}: failed with {result.Status} but holds {allocator.TablesInUse} tables, {tablesBefore} before");
                }
                return;
            }
            if (!tree || size == 0 || allocator.Dirty)
                return;
            // On a tree, the operation did what it says at both ends of the range.
            ulong lastVa = va + (size - page);
            switch (name)
            {
                case "Map":
                    Check.That(TLayout.TryTranslate(memory, _root, va, out ulong got) && got == pa, $"{call}: succeeded, but va 0x{va:x} translates to {got:x}");
                    Check.That(TLayout.TryTranslate(memory, _root, lastVa, out got) && got == pa + (size - page), $"{call}: succeeded, but va 0x{lastVa:x} translates to {got:x}");
                    break;
                case "Unmap":
                    Check.That(!TLayout.TryTranslate(memory, _root, va, out _) && !TLayout.TryTranslate(memory, _root, lastVa, out _), $"{call}: succeeded, but the range still translates");
                    break;
                default:
                    bool nowMapped = TLayout.TryTranslate(memory, _root, va, out ulong nowPa);
                    Check.That(nowMapped == firstMapped && (!nowMapped || nowPa == firstPa), $"{call}: succeeded, but va 0x{va:x} went from {firstMapped} 0x{firstPa:x} to {nowMapped} 0x{nowPa:x}");
                    break;
            }
        }

        private byte[] Snapshot(FlatMemory memory) => new ReadOnlySpan<byte>(memory.Base, (int)memory.Length).ToArray();

        private static bool Same(FlatMemory memory, byte[] before) => new ReadOnlySpan<byte>(memory.Base, (int)memory.Length).SequenceEqual(before);

        private ulong FirstDifference(FlatMemory memory, byte[] before) =>
            _start + (ulong)new ReadOnlySpan<byte>(memory.Base, (int)memory.Length).CommonPrefixLength(before);

        // ----- Visitors -----

        private readonly record struct Visit(ulong Va, int Level, bool IsLeaf, nint Entry, ulong Value, char Kind)
        {
            public override string ToString() => $"{Kind} va 0x{Va:x} level {Level} leaf {IsLeaf} entry 0x{Entry:x} = 0x{Value:x}";
        }

        /// <summary>Records visits; skips subtrees where a hash of (va, level) hits the mask; stops after <see cref="RecordedVisits"/>.</summary>
        private struct Recorder(byte skipMask) : IPageTableTreeVisitor<TEntry>
        {
            public readonly List<Visit> Visits = [];
            public bool Tree;

            public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
            {
                Visits.Add(new Visit(va, level, isLeaf, (nint)entry, Read(entry), 'V'));
                if (Visits.Count >= RecordedVisits)
                    return 7;
                if (!isLeaf && skipMask != 0 && (uint)((va >> 12) * 0x9E37_79B9 + (uint)level * 0x85EB_CA6B) % 251 < skipMask % 64)
                    return WalkControl.SkipSubtree;
                return 0;
            }

            public int Leave(ulong va, int level, TEntry* entry)
            {
                if (!Tree)
                    return 0;
                Visits.Add(new Visit(va, level, false, (nint)entry, Read(entry), 'L'));
                return Visits.Count >= RecordedVisits ? 9 : 0;
            }
        }

        private struct LastVisit : IPageTableVisitor<TEntry>
        {
            public TEntry* Entry;
            public int Level;
            public bool IsLeaf;

            public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
            {
                Entry = entry;
                Level = level;
                IsLeaf = isLeaf;
                return 0;
            }
        }

        /// <summary>Counts visits and the distinct tables the walk enters (inside memory), with the entries each holds.</summary>
        private struct TableCounter(FlatMemory memory) : IPageTableVisitor<TEntry>
        {
            public long Visits;
            public int Shared, Outside;
            public readonly Dictionary<ulong, int> Entered = [];

            public int Visit(ulong va, int level, bool isLeaf, TEntry* entry)
            {
                Visits++;
                if (!isLeaf)
                {
                    ulong table = TLayout.EntryAddress(Read(entry));
                    if (memory.At(table, TLayout.TableBytes(level - 1)) == null)
                        Outside++;
                    else if (!Entered.TryAdd(table, TLayout.Entries(level - 1)))
                        Shared++;
                }
                return 0;
            }

            public readonly bool AllSlots(Case<TLayout, TEntry> owner)
            {
                foreach (ulong table in Entered.Keys)
                {
                    if (!owner.IsSlotBase(table))
                        return false;
                }
                return true;
            }
        }
    }

    /// <summary>
    /// Hands out the spare slots only (never the image's tables), zeroed; notes when a free slot was found written
    /// (a hostile entry reached it while it was free), since zeroing it then changes memory the operation did not own.
    /// </summary>
    private sealed class SlotAllocator(FlatMemory memory, ulong first, int count, uint slot) : ITableAllocator
    {
        private readonly bool[] _used = new bool[count];

        public bool Dirty { get; set; }

        public int TablesInUse { get; private set; }

        public bool TryAllocateTable(uint bytes, out ulong physicalAddress)
        {
            if (bytes == 0 || !BitOperations.IsPow2(bytes) || bytes > slot)
                throw new ArgumentException($"a table of {bytes} bytes: the slots are {slot}", nameof(bytes));
            for (int i = 0; i < count; i++)
            {
                if (_used[i])
                    continue;
                _used[i] = true;
                TablesInUse++;
                physicalAddress = first + (ulong)i * slot;
                var span = new Span<byte>(memory.At(physicalAddress, slot), (int)slot);
                if (span.ContainsAnyExcept((byte)0))
                    Dirty = true;
                span.Clear();
                return true;
            }
            physicalAddress = 0;
            return false;
        }

        public void FreeTable(ulong physicalAddress)
        {
            ulong offset = physicalAddress - first;
            if (offset % slot != 0 || offset / slot >= (ulong)count || !_used[offset / slot])
                throw new ContractViolation($"FreeTable(0x{physicalAddress:x}): not a table this allocator handed out, or freed twice");
            _used[offset / slot] = false;
            TablesInUse--;
        }

        public bool Owns(ulong physicalAddress)
        {
            ulong offset = physicalAddress - first;
            return offset % slot == 0 && offset / slot < (ulong)count && _used[offset / slot];
        }
    }

    // ----- Seeds and structured inputs -----

    /// <summary>Encodes a header for <see cref="Run"/>: layout, shape, root, range and the operations' arguments.</summary>
    public static InputWriter WriteHeader(int layout, int shape, int root = 0, int range = 0, ulong from = 0, ulong to = 0, ulong opVa = 0,
        int sizeChoice = 1, ulong opPa = 0x5000, int flagsChoice = 0, int mapOptions = 0, int unmapOptions = 0, int protChoice = 0, int limit = 0, int order = 0) =>
        new InputWriter().Byte(layout).Byte(shape).Byte(root).U64(0).Byte(range).U64(from).U64(to).Byte(0).U64(opVa).Byte(sizeChoice).U64(opPa)
            .Byte(flagsChoice).U64(0).Byte(mapOptions).Byte(unmapOptions).Byte(protChoice).U64(0).U64(0).Byte(limit).Byte(order);

    /// <summary>The fixed seeds: for every ready layout a tree, a self-loop, a two-table cycle, everything at the last page, entries past the end.</summary>
    public static IEnumerable<(string Name, byte[] Input)> Seeds()
    {
        for (int i = 0; i < ReadyLayouts.All.Length; i++)
        {
            string name = ReadyLayouts.All[i].Name;
            // shape: 3 image slots, 3 spare slots; bit 0 = the upper half where there is one.
            int shape = 0b0010_0100 | (ReadyLayouts.All[i].Upper is not null && i % 2 == 0 ? 1 : 0);
            // A chain from slot 0 through slots 1 and 2 (command 8) at va 0x1234_5000, then a second chain.
            yield return ($"{name}-tree", WriteHeader(i, shape, sizeChoice: 3, opVa: 0x1234_5000).Byte(8).Byte(0).U64(0x1234_5000).Byte(1).Byte(2).Byte(1).Byte(2)
                .Byte(8).Byte(0).U64(0x4000_0000).Byte(1).Byte(2).Byte(2).Byte(1).ToArray());
            yield return ($"{name}-self-loop", WriteHeader(i, shape, order: 1).Byte(2).Byte(0).Byte(10).ToArray());
            yield return ($"{name}-cycle", WriteHeader(i, shape, sizeChoice: 6, mapOptions: 1, order: 2).Byte(3).Byte(0).Byte(1).Byte(10).U16(0).U16(5).Byte(8).Byte(0).U64(0).Byte(1).Byte(0).Byte(1).Byte(0).ToArray());
            yield return ($"{name}-last-page", WriteHeader(i, shape, root: 3, sizeChoice: 4).Byte(4).Byte(3).Byte(1).Byte(10).Byte(4).Byte(0).Byte(0).Byte(0).ToArray());
            yield return ($"{name}-past-end", WriteHeader(i, shape, range: 3, from: 0, to: 0x7FFF_FFFF_FFFF, unmapOptions: 1).Byte(5).Byte(0).Byte(10).U16(0).Byte(200)
                .Byte(1).Byte(0).U16(300).Byte(1).Byte(4).Byte(0).ToArray());
        }
    }

    private static readonly Gen<byte[]> Command = Gen.Frequency(
        (3, Gen.Select(Gen.Int[0, 1], Gen.Byte, Gen.UShort, Gen.Byte.Array[12], (c, s, i, rest) => (byte[])[(byte)c, s, (byte)i, (byte)(i >> 8), .. rest])),
        (1, Gen.Select(Gen.Byte, Gen.Byte, (s, f) => new byte[] { 2, s, f })),
        (1, Gen.Select(Gen.Byte, Gen.Byte, Gen.Byte, Gen.UShort, Gen.UShort, (s, o, f, i, j) => new byte[] { 3, s, o, f, (byte)i, (byte)(i >> 8), (byte)j, (byte)(j >> 8) })),
        (1, Gen.Select(Gen.Byte, Gen.Bool, Gen.Byte, (s, last, f) => new byte[] { 4, s, (byte)(last ? 1 : 0), f })),
        (1, Gen.Select(Gen.Byte, Gen.Byte, Gen.UShort, Gen.Byte, (s, f, i, n) => new byte[] { 5, s, f, (byte)i, (byte)(i >> 8), n })),
        (2, Gen.Select(Gen.Byte, Gen.Byte, Gen.ULong, Gen.UShort, Gen.Byte, (s, l, pa, i, n) => (byte[])[6, s, l, .. BitConverter.GetBytes(pa), (byte)i, (byte)(i >> 8), n])),
        (1, Gen.Select(Gen.Byte, Gen.UShort, Gen.Byte.Array[1, 64], (s, o, bytes) => (byte[])[7, s, (byte)o, (byte)(o >> 8), (byte)bytes.Length, .. bytes])),
        (3, Gen.Select(Gen.Byte, Gen.ULong, Gen.Byte.Array[5], (s, va, next) => (byte[])[8, s, .. BitConverter.GetBytes(va), .. next])));

    /// <summary>Structured inputs: a random header, then a few table-building commands.</summary>
    public static Gen<byte[]> Structured { get; } =
        Gen.Select(Gen.Byte.Array[76], Command.Array[0, 12], (header, commands) =>
        {
            var input = new List<byte>(header);
            foreach (var command in commands)
                input.AddRange(command);
            return input.ToArray();
        });
}
