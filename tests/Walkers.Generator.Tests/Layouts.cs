namespace Walkers.Generator.Tests;

/// <summary>x86 layout sources as inputs for the diagnostic and caching tests (the ready layouts, runtime/Walkers.Layouts/X86.cs, before [Inherit] and root decoding).</summary>
internal static class Layouts
{
    public const string X86_64 = """
        using Walkers;

        namespace Walkers.Layouts;

        /// <summary>x86-64 4-level paging (IA-32e): 48-bit canonical addresses, 1 GiB pages at level 3, 2 MiB at level 2.</summary>
        [PageTable(VirtualAddressBits = 48, SignExtend = true, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
                   TableMask = 0x80, TableValue = 0)]
        [PageLevel(4, Shift = 39, Entries = 512, Prot = 0x67)]
        [PageLevel(3, Shift = 30, Entries = 512, Prot = 0x67, Leaf = true)]
        [PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
        public static partial class X86_64;
        """;

    public const string X86_64La57 = """
        using Walkers;

        namespace Walkers.Layouts;

        /// <summary>x86-64 5-level paging (LA57): 57-bit canonical addresses.</summary>
        [PageTable(VirtualAddressBits = 57, SignExtend = true, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
                   TableMask = 0x80, TableValue = 0)]
        [PageLevel(5, Shift = 48, Entries = 512, Prot = 0x67)]
        [PageLevel(4, Shift = 39, Entries = 512, Prot = 0x67)]
        [PageLevel(3, Shift = 30, Entries = 512, Prot = 0x67, Leaf = true)]
        [PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
        public static partial class X86_64La57;
        """;

    public const string X86Pae = """
        using Walkers;

        namespace Walkers.Layouts;

        /// <summary>x86 PAE: 32-bit addresses, 64-bit entries, a 4-entry top table (32-byte aligned), 2 MiB pages at level 2.</summary>
        [PageTable(VirtualAddressBits = 32, PresentMask = 0x1, AddressMask = 0x000F_FFFF_FFFF_F000,
                   TableMask = 0x80, TableValue = 0)]
        [PageLevel(3, Shift = 30, Entries = 4, Prot = 0x1)]
        [PageLevel(2, Shift = 21, Entries = 512, Prot = 0x67, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 512, Prot = 0x23)]
        public static partial class X86Pae;
        """;

    public const string X86Legacy = """
        using Walkers;

        namespace Walkers.Layouts;

        /// <summary>Legacy 32-bit x86 with CR4.PSE: 32-bit entries, 4 MiB pages at level 2.</summary>
        [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000,
                   TableMask = 0x80, TableValue = 0)]
        [PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x67, Leaf = true)]
        [PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x23)]
        public static partial class X86Legacy;
        """;

    public const string X86LegacyNoPse = """
        using Walkers;

        namespace Walkers.Layouts;

        /// <summary>Legacy 32-bit x86 without CR4.PSE: the PS bit is ignored, every present directory entry is a table.</summary>
        [PageTable(VirtualAddressBits = 32, EntryBits = 32, PresentMask = 0x1, AddressMask = 0xFFFF_F000,
                   TableMask = 0x80, TableValue = 0)]
        [PageLevel(2, Shift = 22, Entries = 1024, Prot = 0x67)]
        [PageLevel(1, Shift = 12, Entries = 1024, Prot = 0x23)]
        public static partial class X86LegacyNoPse;
        """;
}
