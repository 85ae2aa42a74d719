using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace Walkers.Fuzz;

/// <summary>A fuzz target broke its contract: the driver counts it as a failure and keeps the input.</summary>
public class ContractViolation(string message) : Exception(message);

/// <summary>
/// A contract violation explained by a defect already reported and pinned by a failing regression test
/// (docs/fuzzing.md lists them): counted apart, so that a campaign goes on finding new ones. The check that raises
/// it is the strict one; the excuse applies only when the input fits the known defect exactly.
/// </summary>
public sealed class KnownDefect(string defect, string message) : ContractViolation($"[{defect}] {message}")
{
    public string Defect { get; } = defect;
}

/// <summary>One fuzz target: a name, the function under test, and its corpus folder under corpus/.</summary>
/// <param name="Name">images, walkers, generator.</param>
/// <param name="Run">Throws <see cref="ContractViolation"/> (or anything else) when the contract is broken; a crash is a crash.</param>
/// <param name="Structured">Structured inputs for the mutation driver's CsCheck half (encoded as the target reads them).</param>
/// <param name="MaxInputBytes">Longer inputs are not run (the target returns at once).</param>
public sealed record FuzzTarget(string Name, FuzzTarget.Body Run, CsCheck.Gen<byte[]> Structured, int MaxInputBytes)
{
    public delegate void Body(ReadOnlySpan<byte> input);

    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new("images", ImagesTarget.Run, ImagesTarget.Structured, ImagesTarget.MaxInputBytes),
        new("walkers", WalkersTarget.Run, WalkersTarget.Structured, WalkersTarget.MaxInputBytes),
        new("generator", GeneratorTarget.Run, GeneratorTarget.Structured, GeneratorTarget.MaxInputBytes),
    ];

    public static FuzzTarget? Find(string name)
    {
        foreach (var target in All)
        {
            if (target.Name == name)
                return target;
        }
        return null;
    }
}

/// <summary>Reads a fuzz input as a stream of small decisions; past its end every read is 0, so any input is a valid one.</summary>
public ref struct InputReader(ReadOnlySpan<byte> input)
{
    private readonly ReadOnlySpan<byte> _input = input;
    private int _at;

    public readonly int Left => Math.Max(0, _input.Length - _at);

    public readonly bool AtEnd => _at >= _input.Length;

    public byte Byte() => _at < _input.Length ? _input[_at++] : (byte)0;

    public ushort U16() => (ushort)(Byte() | Byte() << 8);

    public uint U32() => U16() | (uint)U16() << 16;

    public ulong U64() => U32() | (ulong)U32() << 32;

    /// <summary>0 .. count-1.</summary>
    public int Choose(int count) => count <= 1 ? 0 : (count <= 256 ? Byte() : U16()) % count;

    public bool Bool() => (Byte() & 1) != 0;

    /// <summary>The rest of the input.</summary>
    public ReadOnlySpan<byte> Rest()
    {
        var rest = _at < _input.Length ? _input[_at..] : ReadOnlySpan<byte>.Empty;
        _at = _input.Length;
        return rest;
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        count = Math.Min(count, Left);
        var taken = _input.Slice(_at, count);
        _at += count;
        return taken;
    }
}

/// <summary>Writes structured inputs in the order an <see cref="InputReader"/> reads them.</summary>
public sealed class InputWriter
{
    private readonly List<byte> _bytes = [];

    public InputWriter Byte(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public InputWriter U16(int value) => Byte(value).Byte(value >> 8);

    public InputWriter U32(uint value) => U16((int)(value & 0xFFFF)).U16((int)(value >> 16));

    public InputWriter U64(ulong value) => U32((uint)value).U32((uint)(value >> 32));

    public InputWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        foreach (byte b in bytes)
            _bytes.Add(b);
        return this;
    }

    public byte[] ToArray() => [.. _bytes];

    public static ulong Read64(ReadOnlySpan<byte> bytes, int at) => BinaryPrimitives.ReadUInt64LittleEndian(bytes[at..]);
}

internal static class Check
{
    public static void That(bool condition, string message)
    {
        if (!condition)
            throw new ContractViolation(message);
    }
}
