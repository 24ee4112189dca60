// Placeholder until the scenario runner lands.
import { TwemuError } from '../emulator/errors.js';

export async function scenarioCommand(_argv: string[]): Promise<number> {
  throw new TwemuError('E_NOT_IMPLEMENTED', 'the scenario runner is not implemented yet');
}
