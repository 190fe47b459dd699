// Which driver errors leave a context unusable. After an illegal address, a failed launch or an
// uncorrectable ECC error every later call in the process's context fails too ("sticky"), so
// the device cannot be trusted again until the process restarts.
namespace Rtfm.Cuda;

public static class CudaErrors
{
    public static bool IsContextFatal(int code) => code is
        214 // CUDA_ERROR_ECC_UNCORRECTABLE
        or 700 // CUDA_ERROR_ILLEGAL_ADDRESS
        or 714 // CUDA_ERROR_HARDWARE_STACK_ERROR
        or 715 // CUDA_ERROR_ILLEGAL_INSTRUCTION
        or 716 // CUDA_ERROR_MISALIGNED_ADDRESS
        or 717 // CUDA_ERROR_INVALID_ADDRESS_SPACE
        or 718 // CUDA_ERROR_INVALID_PC
        or 719; // CUDA_ERROR_LAUNCH_FAILED

    /// <summary>Whether <paramref name="error"/> leaves the device's context unusable (the silo stops rendering on it).</summary>
    public static bool IsContextFatal(CudaException error) => IsContextFatal((error ?? throw new ArgumentNullException(nameof(error))).Code);
}
