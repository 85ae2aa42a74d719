namespace System.Runtime.CompilerServices;

// Records on netstandard2.0 need this type; the compiler only looks for it by name.
internal static class IsExternalInit;
