// PetPixel game loader: compiles the game module, hands its `petpixel.game` section to
// the runtime, and runs input, a fixed 60 Hz step and drawing.
// The offline page concatenates this file with the wasm-bindgen glue into one module
// script, so every top-level name here starts with `pp` (except `start`) and the file
// has no dependencies.

const ppSection = 'petpixel.game';
const ppStepMs = 1000 / 60;
const ppMaxFrameMs = 250;
// Keyboard codes to the runtime's button bits: 1 left, 2 right, 4 jump, 8 start.
const ppKeys = {
  ArrowLeft: 1, KeyA: 1,
  ArrowRight: 2, KeyD: 2,
  ArrowUp: 4, KeyW: 4, Space: 4,
  Enter: 8,
};
const ppStart = 8;

function ppMessage(error) {
  return String((error && error.message) || error);
}

function ppShowError(canvas, text) {
  let box = document.getElementById('pp-error');
  if (!box) {
    box = document.createElement('p');
    box.id = 'pp-error';
    box.setAttribute('role', 'alert');
    box.style.cssText = 'position:fixed;left:0;right:0;bottom:0;margin:0;padding:8px;'
      + 'font:16px sans-serif;color:#fff;background:#a02040;text-align:center';
    canvas.after(box);
  }
  box.textContent = 'This game cannot start: ' + text;
}

async function ppCompile(source) {
  if (source.bytes) return WebAssembly.compile(source.bytes);
  try {
    return await WebAssembly.compileStreaming(fetch(source.url));
  } catch (error) {
    // Servers that send the wrong MIME type break streaming compilation only.
    const response = await fetch(source.url);
    if (!response.ok) throw new Error('the game could not be downloaded (' + response.status + ')');
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

// Scales the canvas to the largest whole multiple of its pixels that fits the window.
function ppFit(canvas) {
  const scale = Math.max(1, Math.floor(Math.min(
    window.innerWidth / canvas.width,
    window.innerHeight / canvas.height,
  )));
  canvas.style.width = canvas.width * scale + 'px';
  canvas.style.height = canvas.height * scale + 'px';
}

export async function start(wbg, source, canvas) {
  let module, exports, game;
  try {
    module = await ppCompile(source);
    exports = await wbg.default({ module_or_path: module });
  } catch (error) {
    ppShowError(canvas, ppMessage(error));
    window.__petpixel = { error: ppMessage(error), ready: true };
    return;
  }
  let failure = null;
  const section = WebAssembly.Module.customSections(module, ppSection)[0];
  try {
    if (!section) throw new Error('the game data is missing');
    game = new wbg.Game(new Uint8Array(section));
  } catch (error) {
    failure = ppMessage(error);
    ppShowError(canvas, failure);
    game = wbg.Game.failed(failure);
  }

  const width = game.width();
  const height = game.height();
  canvas.width = width;
  canvas.height = height;
  ppFit(canvas);
  window.addEventListener('resize', () => ppFit(canvas));
  const context = canvas.getContext('2d');

  // `held` mirrors the keyboard; `latched` keeps each press until a step has seen
  // it, so a tap shorter than a frame still counts.
  let held = 0;
  let latched = 0;
  window.addEventListener('keydown', (event) => {
    const bit = ppKeys[event.code];
    if (bit) {
      held |= bit;
      latched |= bit;
      event.preventDefault();
    } else if (!event.repeat && !event.ctrlKey && !event.metaKey && !event.altKey) {
      latched |= ppStart;
    }
  });
  window.addEventListener('keyup', (event) => {
    const bit = ppKeys[event.code];
    if (bit) {
      held &= ~bit;
      event.preventDefault();
    }
  });
  window.addEventListener('blur', () => { held = 0; });
  canvas.addEventListener('pointerdown', () => {
    canvas.focus();
    latched |= ppStart;
  });

  const hook = {
    game,
    error: failure,
    state: () => ({
      state: game.state(),
      x: game.player_x(),
      y: game.player_y(),
      level: game.level_index(),
      score: game.score(),
    }),
    ready: false,
  };
  let last = performance.now();
  let owed = ppStepMs;
  const frame = (now) => {
    owed += Math.min(now - last, ppMaxFrameMs);
    last = now;
    while (owed >= ppStepMs) {
      game.step(held | latched);
      latched = 0;
      owed -= ppStepMs;
    }
    game.render();
    // The view is made after stepping: memory may have grown and moved.
    const pixels = new Uint8ClampedArray(exports.memory.buffer, game.frame_ptr(), width * height * 4);
    context.putImageData(new ImageData(pixels, width, height), 0, 0);
    if (!hook.ready) {
      hook.ready = true;
      window.__petpixel = hook;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
