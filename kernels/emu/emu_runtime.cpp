// The emulator's runtime: fibers, barriers, warp collectives and the launch entry point that
// the C# side calls (Rtfm.Cuda.Emulation). x86-64 System V only: the fiber switch is a few
// lines of assembly (swapcontext makes a system call per switch, ~30x slower here).
#include "cuda_emu.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#if !defined(__x86_64__)
#error "the kernel emulator's fiber switch is written for x86-64"
#endif

extern "C" void rtfm_emu_switch(void** save_sp, void* next_sp);
extern "C" void rtfm_emu_trampoline();
extern "C" __attribute__((visibility("hidden"))) void rtfm_emu_fiber_main(void* fiber);

// Saves the callee-saved registers and the FP control words on the current stack, stores the
// stack pointer in *save_sp, and resumes the stack next_sp (which was saved the same way, or
// prepared by prepare_stack below).
asm(R"(
    .text
    .globl rtfm_emu_switch
    .hidden rtfm_emu_switch
    .type rtfm_emu_switch, @function
rtfm_emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size rtfm_emu_switch, .-rtfm_emu_switch

    .globl rtfm_emu_trampoline
    .hidden rtfm_emu_trampoline
    .type rtfm_emu_trampoline, @function
rtfm_emu_trampoline:
    movq %rbx, %rdi
    call rtfm_emu_fiber_main
    ud2
    .size rtfm_emu_trampoline, .-rtfm_emu_trampoline
)");

namespace rtfm_emu
{
enum class State
{
    Runnable,
    AtBlockBarrier,
    AtWarpBarrier,
    Done,
};

struct Block;

struct Fiber
{
    void* sp = nullptr;
    State state = State::Runnable;
    dim3 idx{};
    int linear = 0;
    int collective = 0; // warp collectives this lane has passed: picks the scratch buffer
    Block* block = nullptr;
};

constexpr size_t StackBytes = 64 * 1024;
constexpr int ScratchBytes = 64; // per lane per collective

struct Warp
{
    int live = 0;
    int waiting = 0;
    alignas(16) unsigned char scratch[2][32 * ScratchBytes];
};

// One worker thread's state: the block it runs now and the fibers' stacks, reused per block.
struct Block
{
    void (*entry)(const void*) = nullptr;
    const void* params = nullptr;
    std::vector<Fiber> fibers;
    std::vector<Warp> warps;
    std::vector<unsigned char> stacks;
    std::vector<unsigned char> shared;
    void* scheduler_sp = nullptr;
    int live = 0;
    int at_barrier = 0;
    const char* error = nullptr;
};

thread_local Fiber* current_fiber = nullptr;
thread_local dim3 block_idx{};
thread_local dim3 block_dim{};
thread_local dim3 grid_dim{};
static thread_local Block* current_block = nullptr;

const dim3& thread_idx() { return current_fiber->idx; }

void* dynamic_shared() { return current_block->shared.data(); }

static void yield_to_scheduler(Fiber* f) { rtfm_emu_switch(&f->sp, f->block->scheduler_sp); }

[[noreturn]] void fail(const char* message)
{
    Fiber* f = current_fiber;
    f->block->error = message;
    f->state = State::Done;
    rtfm_emu_switch(&f->sp, f->block->scheduler_sp);
    std::abort(); // a failed block's fibers are never resumed
}

static void release_block_barrier(Block* b)
{
    for (Fiber& f : b->fibers)
        if (f.state == State::AtBlockBarrier) f.state = State::Runnable;
    b->at_barrier = 0;
}

void sync_threads()
{
    Fiber* f = current_fiber;
    Block* b = f->block;
    f->state = State::AtBlockBarrier;
    if (++b->at_barrier == b->live)
    {
        release_block_barrier(b);
        return;
    }
    yield_to_scheduler(f);
}

const unsigned char* warp_exchange(const void* data, int bytes)
{
    Fiber* f = current_fiber;
    Block* b = f->block;
    if (bytes > ScratchBytes) fail("warp collective operand larger than the emulator's scratch");
    Warp& w = b->warps[f->linear >> 5];
    if (w.live != 32) fail("warp collective in a warp with fewer than 32 live lanes (partial warp or exited lanes)");
    unsigned char* buffer = w.scratch[f->collective & 1];
    f->collective++;
    std::memcpy(buffer + (f->linear & 31) * ScratchBytes, data, (size_t)bytes);
    if (++w.waiting == 32)
    {
        int first = f->linear & ~31;
        for (int i = 0; i < 32; i++)
            if (b->fibers[first + i].state == State::AtWarpBarrier) b->fibers[first + i].state = State::Runnable;
        w.waiting = 0;
    }
    else
    {
        f->state = State::AtWarpBarrier;
        yield_to_scheduler(f);
    }
    // Lanes read buffer `collective & 1` while a fast lane may already write the other one;
    // it cannot come back to this buffer before every lane has entered the next collective.
    static thread_local unsigned char gathered[32 * ScratchBytes];
    for (int i = 0; i < 32; i++) std::memcpy(gathered + i * bytes, buffer + i * ScratchBytes, (size_t)bytes);
    return gathered;
}
} // namespace rtfm_emu

using namespace rtfm_emu;

extern "C" void rtfm_emu_fiber_main(void* fiber)
{
    Fiber* f = static_cast<Fiber*>(fiber);
    Block* b = f->block;
    b->entry(b->params);
    f->state = State::Done;
    b->live--;
    Warp& w = b->warps[f->linear >> 5];
    w.live--;
    if (w.waiting > 0 && b->error == nullptr) b->error = "a lane exited while its warp waited in a warp collective";
    if (b->at_barrier > 0 && b->at_barrier == b->live) release_block_barrier(b);
    rtfm_emu_switch(&f->sp, b->scheduler_sp);
    std::abort();
}

// Lays out a fresh stack so that rtfm_emu_switch "returns" into the trampoline with the
// fiber in rbx and default MXCSR / x87 control words.
static void* prepare_stack(unsigned char* base, size_t size, Fiber* f)
{
    uintptr_t top = (reinterpret_cast<uintptr_t>(base) + size) & ~(uintptr_t)15;
    auto* sp = reinterpret_cast<uint64_t*>(top - 80);
    sp[0] = 0x1F80ull | (0x037Full << 32); // mxcsr, fpu control word
    sp[1] = 0;                              // r15
    sp[2] = 0;                              // r14
    sp[3] = 0;                              // r13
    sp[4] = 0;                              // r12
    sp[5] = reinterpret_cast<uint64_t>(f);  // rbx
    sp[6] = 0;                              // rbp
    sp[7] = reinterpret_cast<uint64_t>(&rtfm_emu_trampoline);
    return sp;
}

// Runs one block to completion on the calling thread; returns an error message or null.
// `reverse` resumes runnable fibers from the last thread to the first: a kernel whose result
// depends on that order has a race (a missing barrier) that the forward order may hide.
static const char* run_block(Block& b, bool reverse)
{
    int threads = (int)(block_dim.x * block_dim.y * block_dim.z);
    for (int i = 0; i < threads; i++)
    {
        Fiber& f = b.fibers[i];
        f.state = State::Runnable;
        f.idx = dim3{(unsigned)(i % block_dim.x), (unsigned)((i / block_dim.x) % block_dim.y), (unsigned)(i / (block_dim.x * block_dim.y))};
        f.linear = i;
        f.collective = 0;
        f.block = &b;
        f.sp = prepare_stack(b.stacks.data() + (size_t)i * StackBytes, StackBytes, &f);
    }
    for (size_t w = 0; w < b.warps.size(); w++)
    {
        b.warps[w].live = std::min(32, threads - (int)w * 32);
        b.warps[w].waiting = 0;
    }
    b.live = threads;
    b.at_barrier = 0;
    b.error = nullptr;
    while (b.live > 0 && b.error == nullptr)
    {
        bool ran = false;
        for (int n = 0; n < threads && b.error == nullptr; n++)
        {
            int i = reverse ? threads - 1 - n : n;
            if (b.fibers[i].state != State::Runnable) continue;
            current_fiber = &b.fibers[i];
            rtfm_emu_switch(&b.scheduler_sp, b.fibers[i].sp);
            ran = true;
        }
        if (!ran && b.error == nullptr && b.live > 0)
            b.error = "deadlock: every live thread waits at a barrier that cannot complete (divergent __syncthreads?)";
    }
    current_fiber = nullptr;
    return b.error;
}

extern "C" __attribute__((visibility("default"))) int rtfm_emu_launch(
    void (*entry)(const void*), const void* params,
    unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
    unsigned shared_bytes, int workers, int reverse, char* error, int error_length)
{
    const long blocks = (long)gx * gy * gz;
    const int threads = (int)(bx * by * bz);
    if (threads <= 0 || threads > 1024 || blocks <= 0)
    {
        std::snprintf(error, (size_t)error_length, "invalid launch: grid (%u, %u, %u), block (%u, %u, %u)", gx, gy, gz, bx, by, bz);
        return 1;
    }
    std::atomic<long> next{0};
    std::mutex gate;
    std::string failure;
    auto work = [&]() {
        Block b;
        b.entry = entry;
        b.params = params;
        b.fibers.resize((size_t)threads);
        b.warps.resize((size_t)((threads + 31) / 32));
        b.stacks.resize((size_t)threads * StackBytes);
        b.shared.assign(shared_bytes > 0 ? shared_bytes : 1, 0);
        current_block = &b;
        block_dim = dim3{bx, by, bz};
        grid_dim = dim3{gx, gy, gz};
        for (long i = next++; i < blocks; i = next++)
        {
            block_idx = dim3{(unsigned)(i % gx), (unsigned)((i / gx) % gy), (unsigned)(i / ((long)gx * gy))};
            if (const char* e = run_block(b, reverse != 0))
            {
                std::lock_guard<std::mutex> lock(gate);
                if (failure.empty())
                    failure = std::string(e) + " (block " + std::to_string(block_idx.x) + ", " + std::to_string(block_idx.y) + ", " + std::to_string(block_idx.z) + ")";
                next = blocks; // stop handing out blocks
                break;
            }
        }
        current_block = nullptr;
    };
    int n = (int)std::max(1L, std::min<long>(workers, blocks));
    std::vector<std::thread> pool;
    for (int i = 1; i < n; i++) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (!failure.empty())
    {
        std::snprintf(error, (size_t)error_length, "%s", failure.c_str());
        return 1;
    }
    return 0;
}
