namespace Walkers;

/// <summary>
/// A translator that keeps the tables of its last translations (a software TLB): each layout's generated
/// <c>Layout.Translator&lt;TMemory&gt;</c>. Hold it in a local or a mutable field; call <see cref="Flush"/> after the
/// tables change.
/// </summary>
public interface IAddressTranslator
{
    /// <summary>The root table's physical address.</summary>
    ulong Root { get; }

    /// <summary>Translates <paramref name="va"/> as the layout's <c>TryTranslate</c> does, from the lowest table kept that covers it.</summary>
    bool TryTranslate(ulong va, out ulong physicalAddress);

    /// <summary>Forgets the tables kept: the next translation starts at the root.</summary>
    void Flush();
}
