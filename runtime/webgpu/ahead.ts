// The WebGPU backend's programs compiled ahead of time, by `nnc compile` into a generated module
// (runtime/model/spec.ts): looked up by key instead of compiled on the device, so a page runs a
// model with no WGSL generator and no compile-time matmul timing. The programs address the
// resident arenas at fixed offsets, so the backend packs them at the size they were planned for.

import { InternalError } from "../../compiler/diagnostics/diagnostic.ts";
import type { CompiledProgram } from "../../compiler/codegen/wgsl/dispatches.ts";
import type { ProgramSource } from "./backend.ts";
import type { ProgramKey, ProgramRequest } from "./resident.ts";

export function aheadOfTimeSource(compiled: { maxArenaElements: number; programs: Partial<Record<ProgramKey, CompiledProgram>> }): ProgramSource {
  return {
    maxArenaElements: compiled.maxArenaElements,
    async program(request: ProgramRequest) {
      const program = compiled.programs[request.key];
      if (!program) throw new InternalError(`the model was compiled without the WebGPU program \`${request.key}\``);
      // The backend asks for what the compiler compiled, unless the two come from different nnc
      // versions; a program for other places would write into another tensor, so it is refused.
      const places = (updates: ProgramRequest["updates"]) => JSON.stringify(updates.map((u) => [u.node, u.target.arena, u.target.offset]));
      if (JSON.stringify(program.read) !== JSON.stringify(request.read) || places(program.updates) !== places(request.updates)) {
        throw new InternalError(`the WebGPU program \`${request.key}\` was compiled for another layout of the model's tensors; compile the model again with this nnc`);
      }
      return { program };
    },
  };
}
