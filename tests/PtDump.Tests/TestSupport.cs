using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using Walkers.Images;

namespace Walkers.PtDump.Tests;

/// <summary>Runs ptdump in-process and captures what it prints.</summary>
internal static class Cli
{
    public static (int Exit, string Stdout, string Stderr) Run(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Program.Run(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A bad-input message: exactly one line, no stack trace.</summary>
    public static void AssertOneLineError(string stderr)
    {
        Assert.EndsWith("\n", stderr);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("ptdump: ", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
        Assert.DoesNotContain("\t", stderr);
    }
}

/// <summary>The QEMU captures in ../shared/oracle/data beside the repository.</summary>
internal static class Oracle
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string DataDirectory => Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "oracle", "data"));

    public static string Variant(string name) => Path.Combine(DataDirectory, name);

    public static string Compressed(string name) => Path.Combine(Variant(name), "mem.elf.zst");

    public static string Text(string name, string file) => File.ReadAllText(Path.Combine(Variant(name), file));

    // From the test binaries, or (when they are built outside the tree with --artifacts-path) from this source file.
    private static string FindRoot([CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Walkers.sln")))
                    return directory.FullName;
            }
        }
        throw new InvalidOperationException($"No Walkers.sln above {AppContext.BaseDirectory} or {sourceFile}");
    }
}

/// <summary>The captures decompressed once into temporary files, for the memory-mapped path.</summary>
public sealed class UncompressedCaptures : IDisposable
{
    private readonly Dictionary<string, string> _paths = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("ptdump-tests-").FullName;

    public unsafe string Path(string variant)
    {
        lock (_paths)
        {
            if (_paths.TryGetValue(variant, out var path))
                return path;
            path = System.IO.Path.Combine(_directory, variant + ".elf");
            using (var image = MemoryImage.Open(Oracle.Compressed(variant)))
            using (var file = File.Create(path))
                file.Write(new ReadOnlySpan<byte>(image.Data, checked((int)image.Length)));
            _paths[variant] = path;
            return path;
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>A scratch folder for files a test writes; removed afterwards.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ptdump-test-").FullName;

    public string File(string name, byte[] content)
    {
        var path = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>
/// Physical memory built by hand (page tables with known entries), written as a raw image or as an ELF core
/// shaped like QEMU's: a PT_NOTE holding a QEMU CPU note (CR0/CR3/CR4 at offset 392) and PT_LOAD segments.
/// </summary>
internal sealed class SyntheticMemory(int size)
{
    public byte[] Bytes { get; } = new byte[size];

    public void Set64(ulong physicalAddress, ulong value) => BitConverter.TryWriteBytes(Bytes.AsSpan((int)physicalAddress, 8), value);

    public void Set32(ulong physicalAddress, uint value) => BitConverter.TryWriteBytes(Bytes.AsSpan((int)physicalAddress, 4), value);

    public byte[] ElfCore(ulong cr0, ulong cr3, ulong cr4, bool longMode, bool elf64 = true, bool withQemuNote = true, ulong physicalBase = 0)
    {
        var note = new List<byte>();
        if (withQemuNote)
        {
            var descriptor = new byte[440];
            BitConverter.TryWriteBytes(descriptor.AsSpan(0, 4), 1u);
            BitConverter.TryWriteBytes(descriptor.AsSpan(4, 4), 440u);
            BitConverter.TryWriteBytes(descriptor.AsSpan(392, 8), cr0);
            BitConverter.TryWriteBytes(descriptor.AsSpan(392 + 24, 8), cr3);
            BitConverter.TryWriteBytes(descriptor.AsSpan(392 + 32, 8), cr4);
            note.AddRange(BitConverter.GetBytes(5u)); // "QEMU\0"
            note.AddRange(BitConverter.GetBytes((uint)descriptor.Length));
            note.AddRange(BitConverter.GetBytes(0u));
            note.AddRange("QEMU\0\0\0\0"u8.ToArray());
            note.AddRange(descriptor);
        }
        int headerSize = elf64 ? 64 : 52, entrySize = elf64 ? 56 : 32;
        int programHeaders = withQemuNote ? 2 : 1;
        int noteOffset = headerSize + programHeaders * entrySize;
        int loadOffset = noteOffset + note.Count;
        var file = new byte[loadOffset + Bytes.Length];
        "\x7f"u8.CopyTo(file);
        "ELF"u8.CopyTo(file.AsSpan(1));
        file[4] = (byte)(elf64 ? 2 : 1);
        file[5] = 1;
        file[6] = 1;
        Put16(file, 16, 4); // ET_CORE
        Put16(file, 18, (ushort)(longMode ? 62 : 3));
        Put32(file, 20, 1);
        if (elf64)
        {
            Put64(file, 32, (ulong)headerSize);
            Put16(file, 52, 64);
            Put16(file, 54, (ushort)entrySize);
            Put16(file, 56, (ushort)programHeaders);
        }
        else
        {
            Put32(file, 28, (uint)headerSize);
            Put16(file, 40, 52);
            Put16(file, 42, (ushort)entrySize);
            Put16(file, 44, (ushort)programHeaders);
        }
        int at = headerSize;
        if (withQemuNote)
        {
            ProgramHeader(file, at, elf64, type: 4, offset: (ulong)noteOffset, physical: 0, size: (ulong)note.Count);
            at += entrySize;
        }
        ProgramHeader(file, at, elf64, type: 1, offset: (ulong)loadOffset, physical: physicalBase, size: (ulong)Bytes.Length);
        note.CopyTo(file, noteOffset);
        Bytes.CopyTo(file, loadOffset);
        return file;
    }

    private static void ProgramHeader(byte[] file, int at, bool elf64, uint type, ulong offset, ulong physical, ulong size)
    {
        Put32(file, at, type);
        if (elf64)
        {
            Put64(file, at + 8, offset);
            Put64(file, at + 16, physical);
            Put64(file, at + 24, physical);
            Put64(file, at + 32, size);
            Put64(file, at + 40, size);
        }
        else
        {
            Put32(file, at + 4, (uint)offset);
            Put32(file, at + 8, (uint)physical);
            Put32(file, at + 12, (uint)physical);
            Put32(file, at + 16, (uint)size);
            Put32(file, at + 20, (uint)size);
        }
    }

    private static void Put16(byte[] file, int at, ushort value) => BitConverter.TryWriteBytes(file.AsSpan(at, 2), value);

    private static void Put32(byte[] file, int at, uint value) => BitConverter.TryWriteBytes(file.AsSpan(at, 4), value);

    private static void Put64(byte[] file, int at, ulong value) => BitConverter.TryWriteBytes(file.AsSpan(at, 8), value);
}
