// One context frame's keys and values at one layer, as the attention op reads them.
namespace Rtfm.Compute;

/// <param name="Keys">(T, D) keys of the frame's tokens.</param>
/// <param name="Values">(T, D) values of the frame's tokens.</param>
public readonly record struct KvBlockView(Tensor Keys, Tensor Values);
