// PetPixel game loader: compiles the game module, hands its `petpixel.game` section to
// the runtime, and runs input (keyboard, touch, gamepad), a fixed 60 Hz step, drawing
// and sound.
// The offline page concatenates this file with the wasm-bindgen glue into one module
// script, so every top-level name here starts with `pp` (except `start`) and the file
// has no dependencies.

const ppSection = 'petpixel.game';
const ppStepMs = 1000 / 60;
const ppMaxFrameMs = 250;
// The runtime's button bits.
const ppLeft = 1, ppRight = 2, ppJump = 4, ppStart = 8, ppPause = 16;
// Keyboard codes to button bits.
const ppKeys = {
  ArrowLeft: ppLeft, KeyA: ppLeft,
  ArrowRight: ppRight, KeyD: ppRight,
  ArrowUp: ppJump, KeyW: ppJump, Space: ppJump,
  Enter: ppStart,
  KeyP: ppPause, Escape: ppPause,
};
const ppMuteKey = 'petpixel.muted';
// The buttons' icons, drawn (a font may lack a symbol and show an empty box instead).
const ppSvg = (body) => '<svg viewBox="0 0 24 24" width="60%" height="60%" aria-hidden="true" '
  + 'focusable="false" fill="currentColor" stroke="currentColor" stroke-width="2" '
  + 'stroke-linecap="round" stroke-linejoin="round">' + body + '</svg>';
const ppSpeaker = '<path d="M3 9h4l5-4v14l-5-4H3z"/>';
const ppIcons = {
  left: ppSvg('<path d="M16 4L6 12l10 8z"/>'),
  right: ppSvg('<path d="M8 4l10 8-10 8z"/>'),
  jump: ppSvg('<path d="M4 17L12 6l8 11z"/>'),
  pause: ppSvg('<path d="M7 5v14M17 5v14" stroke-width="4"/>'),
  soundOn: ppSvg(ppSpeaker + '<path d="M16 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12" fill="none"/>'),
  soundOff: ppSvg(ppSpeaker + '<path d="M16 9l6 6M22 9l-6 6" fill="none"/>'),
  fullscreen: ppSvg('<path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" fill="none"/>'),
  windowed: ppSvg('<path d="M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5" fill="none"/>'),
};
// Room kept beside the picture for the touch buttons, when the screen is wide enough that
// the picture still shows at least one screen pixel per game pixel.
const ppTouchSide = 176;

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

// Scales the canvas to the largest whole multiple of its pixels that fits the window,
// or below one pixel per pixel in a window smaller than the game (a small iframe).
function ppFit(canvas, touch) {
  const full = (width) => Math.min(width / canvas.width, window.innerHeight / canvas.height);
  // A phone held sideways: the buttons go either side of the picture where there is room.
  const landscape = window.innerWidth > window.innerHeight;
  const beside = full(window.innerWidth - 2 * ppTouchSide);
  const fit = touch && landscape && beside >= 1 ? beside : full(window.innerWidth);
  // Whole multiples keep pixels square; between one and two, a fractional scale is better
  // than a picture half the size it could be.
  const scale = fit >= 2 ? Math.floor(fit) : fit;
  canvas.style.width = canvas.width * scale + 'px';
  canvas.style.height = canvas.height * scale + 'px';
}

// Whether sound is off; remembered across visits where storage is allowed.
function ppMuted() {
  try { return localStorage.getItem(ppMuteKey) === '1'; } catch (error) { return false; }
}

function ppSetMuted(muted) {
  try { localStorage.setItem(ppMuteKey, muted ? '1' : '0'); } catch (error) { /* storage off */ }
}

// Sound effects made in code: one short tone sweep per note.
function ppSound() {
  let context = null;
  const note = (type, from, to, seconds, volume, delay) => {
    const t = context.currentTime + (delay || 0);
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = type;
    oscillator.frequency.setValueAtTime(from, t);
    oscillator.frequency.exponentialRampToValueAtTime(to, t + seconds);
    gain.gain.setValueAtTime(volume, t);
    gain.gain.exponentialRampToValueAtTime(0.001, t + seconds);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(t);
    oscillator.stop(t + seconds);
  };
  const effects = [
    [1, () => note('square', 330, 660, 0.12, 0.08)],
    [2, () => { note('triangle', 988, 988, 0.06, 0.12); note('triangle', 1319, 1319, 0.1, 0.12, 0.06); }],
    [4, () => note('square', 220, 55, 0.15, 0.12)],
    [8, () => note('sawtooth', 440, 80, 0.4, 0.1)],
    [16, () => [523, 659, 784].forEach((f, i) => note('triangle', f, f, 0.1, 0.1, i * 0.08))],
    [32, () => [523, 659, 784, 1047].forEach((f, i) => note('square', f, f, 0.14, 0.07, i * 0.1))],
  ];
  return {
    // Browsers allow audio only after a gesture: called from input handlers.
    unlock() {
      if (context || !window.AudioContext) return;
      try { context = new AudioContext(); } catch (error) { context = null; }
    },
    play(events) {
      if (!context || !events) return;
      if (context.state === 'suspended') context.resume();
      for (const [bit, effect] of effects) if (events & bit) effect();
    },
  };
}

function ppButton(label, icon, css) {
  const button = document.createElement('button');
  button.type = 'button';
  // The icons are this file's own constant markup, never anything from outside.
  button.innerHTML = icon;
  button.setAttribute('aria-label', label);
  button.style.cssText = 'position:fixed;z-index:2;border:2px solid #fff8;border-radius:12px;'
    + 'background:#0006;color:#fff;display:grid;place-items:center;padding:0;'
    + 'touch-action:none;user-select:none;-webkit-user-select:none;' + css;
  document.body.append(button);
  return button;
}

// On-screen controls for touch screens: hold a button, the bit is held.
function ppTouchControls(input) {
  const box = 'width:64px;height:64px;bottom:16px;';
  const controls = [
    ['Move left', ppIcons.left, 'left:16px;' + box, ppLeft],
    ['Move right', ppIcons.right, 'left:96px;' + box, ppRight],
    ['Jump', ppIcons.jump, 'right:16px;width:80px;height:80px;bottom:16px;', ppJump],
    ['Pause', ppIcons.pause, 'right:16px;top:16px;width:48px;height:40px;', ppPause],
  ];
  const held = new Map();
  for (const [label, text, css, bit] of controls) {
    const button = ppButton(label, text, css);
    button.classList.add('pp-touch');
    button.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      // Keeps the release on this button when the finger slides off it.
      try { button.setPointerCapture(event.pointerId); } catch (error) { /* not capturable */ }
      held.set(event.pointerId, bit);
      input.press(bit);
    });
    const release = (event) => {
      held.delete(event.pointerId);
      input.release(bit);
    };
    button.addEventListener('pointerup', release);
    button.addEventListener('pointercancel', release);
    button.addEventListener('contextmenu', (event) => event.preventDefault());
  }
}

// Full screen, where the page may have it (an iframe needs `allowfullscreen`); on a phone it
// also turns the picture sideways, where the browser allows locking the orientation.
function ppFullScreen(canvas, touch) {
  const root = document.documentElement;
  if (!document.fullscreenEnabled || !root.requestFullscreen) return;
  const button = ppButton('Full screen', ppIcons.fullscreen, 'width:40px;height:32px;'
    + (touch ? 'right:128px;top:16px;' : 'right:56px;bottom:8px;'));
  button.id = 'pp-fullscreen';
  button.setAttribute('aria-pressed', 'false');
  button.addEventListener('click', async (event) => {
    event.stopPropagation();
    try {
      if (document.fullscreenElement) {
        await document.exitFullscreen();
      } else {
        await root.requestFullscreen({ navigationUI: 'hide' });
        if (touch && screen.orientation && screen.orientation.lock) {
          await screen.orientation.lock('landscape').catch(() => {});
        }
      }
    } catch (error) {
      // Refused (no user gesture, a policy): the game plays on as it was.
    }
    canvas.focus();
  });
  document.addEventListener('fullscreenchange', () => {
    const on = Boolean(document.fullscreenElement);
    button.innerHTML = on ? ppIcons.windowed : ppIcons.fullscreen;
    button.setAttribute('aria-pressed', String(on));
    if (!on && screen.orientation && screen.orientation.unlock) screen.orientation.unlock();
  });
}

// Gamepad buttons held now: stick or d-pad to move, A/B to jump, Start to pause.
function ppGamepadBits() {
  let bits = 0;
  const pads = navigator.getGamepads ? navigator.getGamepads() : [];
  for (const pad of pads) {
    if (!pad) continue;
    const down = (i) => pad.buttons[i] && pad.buttons[i].pressed;
    const x = pad.axes[0] || 0;
    if (x < -0.5 || down(14)) bits |= ppLeft;
    if (x > 0.5 || down(15)) bits |= ppRight;
    if (down(0) || down(1)) bits |= ppJump;
    if (down(9)) bits |= ppStart | ppPause;
  }
  return bits;
}

// Whether a key event belongs to the leaderboard's form (typing a name), not to the game.
function ppTyping(event) {
  const target = event.target;
  return target instanceof Element && target.closest('#pp-board') !== null;
}

// A run's time as people read it, from 1/60 s steps: m:ss.cc.
function ppTime(steps) {
  const hundredths = Math.floor(steps * 100 / 60);
  const seconds = Math.floor(hundredths / 100) % 60;
  const rest = String(hundredths % 100).padStart(2, '0');
  return Math.floor(hundredths / 6000) + ':' + String(seconds).padStart(2, '0') + '.' + rest;
}

const ppNameKey = 'petpixel.player';

// What the page saw (a view, a finished run), sent to the game's events URL in batches: what
// happens within a second goes in one request, and whatever is still waiting when the page is
// hidden or left goes with the browser's `keepalive`. Without a URL (the offline file) nothing
// is sent.
const ppEventsWait = 1000;
const ppEventsMost = 20;
function ppEvents(url) {
  const waiting = [];
  let timer = null;
  const flush = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (!url || waiting.length === 0) return;
    const events = waiting.splice(0, ppEventsMost);
    fetch(url, {
      method: 'POST',
      keepalive: true,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ events }),
    }).catch(() => {});
    if (waiting.length > 0) flush();
  };
  addEventListener('pagehide', flush);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush();
  });
  return {
    add(type) {
      if (!url) return;
      waiting.push({ type });
      if (waiting.length >= ppEventsMost) flush();
      else if (timer === null) timer = setTimeout(flush, ppEventsWait);
    },
  };
}

// The end screen's leaderboard: the finished run's time, a name to keep it under (sent with
// the run, which the server replays before believing it) and the game's ten best times.
// Without a URL (the offline file) it shows the time alone.
function ppLeaderboard(url, canvas) {
  let panel = null;
  // The name last saved on this page; the board offers a signed-in player's own.
  let yourName = '';
  const loadBoard = async () => {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) throw new Error('the leaderboard could not be loaded');
    return response.json();
  };
  const element = (tag, text, css) => {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    if (css) node.style.cssText = css;
    return node;
  };
  const showBoard = (list, board) => {
    list.replaceChildren(...board.entries.map((entry) => {
      const row = element('li', '', 'display:flex;gap:12px;justify-content:space-between');
      row.dataset.rank = entry.rank;
      row.append(element('span', entry.rank + '. ' + entry.name), element('span', entry.time));
      return row;
    }));
    if (!board.entries.length) list.append(element('li', 'No times yet: be the first.'));
  };
  const close = () => {
    if (panel) panel.remove();
    panel = null;
    canvas.focus();
  };
  return {
    get open() { return panel !== null; },
    close,
    finished(run) {
      close();
      panel = element('section', '', 'position:fixed;z-index:3;left:50%;top:50%;'
        + 'transform:translate(-50%,-50%);min-width:260px;max-width:90vw;max-height:90vh;'
        + 'overflow:auto;padding:12px 16px;border-radius:12px;background:#000c;color:#fff;'
        + 'font:16px sans-serif');
      panel.id = 'pp-board';
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-label', 'Leaderboard');
      const heading = element('h2', 'Your time: ' + ppTime(run.steps), 'margin:0 0 8px;font-size:20px');
      heading.id = 'pp-time';
      const status = element('p', '', 'margin:8px 0;min-height:1.2em');
      status.id = 'pp-board-status';
      status.setAttribute('role', 'status');
      const list = element('ol', '', 'margin:8px 0;padding:0;list-style:none');
      list.id = 'pp-board-list';
      const done = element('button', 'Close', 'margin-top:8px');
      done.type = 'button';
      done.addEventListener('click', close);
      panel.append(heading);
      if (url) {
        const form = element('form', '', 'display:flex;gap:8px;flex-wrap:wrap;align-items:end');
        const label = element('label', 'Your name for the leaderboard', 'display:flex;flex-direction:column;gap:4px');
        const input = element('input', '', 'font:16px sans-serif;padding:4px');
        input.name = 'name';
        input.maxLength = 24;
        input.required = true;
        input.autocomplete = 'nickname';
        let remembered = '';
        try { remembered = localStorage.getItem(ppNameKey) || ''; } catch (error) { /* storage off */ }
        input.value = yourName || remembered;
        label.append(input);
        const save = element('button', 'Save my time');
        save.type = 'submit';
        form.append(label, save);
        form.addEventListener('submit', async (event) => {
          event.preventDefault();
          save.disabled = true;
          status.textContent = 'Checking your run…';
          try {
            const response = await fetch(url, {
              method: 'POST',
              credentials: 'same-origin',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ name: input.value, steps: run.steps, run: run.text }),
            });
            const body = await response.json().catch(() => ({}));
            if (!response.ok) {
              status.textContent = (body.error && body.error.message) || 'Your time could not be saved.';
              save.disabled = false;
              return;
            }
            try { localStorage.setItem(ppNameKey, body.entry.name); } catch (error) { /* storage off */ }
            yourName = body.entry.name;
            status.textContent = body.best
              ? 'Saved: you are number ' + body.rank + '!'
              : 'Verified, but ' + body.entry.name + ' already has a faster time.';
            form.remove();
            showBoard(list, body.board);
          } catch (error) {
            status.textContent = 'Your time could not be saved: ' + ppMessage(error);
            save.disabled = false;
          }
        });
        panel.append(form, status, list);
        // Fetched only once a run is finished: a page that is only looked at asks nothing.
        loadBoard().then((board) => {
          showBoard(list, board);
          if (!input.value && board.your_name) input.value = board.your_name;
        }).catch(() => {});
        panel.append(done);
        document.body.append(panel);
        input.focus();
      } else {
        panel.append(status, done);
        document.body.append(panel);
      }
    },
  };
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
  const touch = navigator.maxTouchPoints > 0 || window.matchMedia('(pointer: coarse)').matches;
  // The screens say "tap" rather than name keys.
  game.set_touch(touch);
  ppFit(canvas, touch);
  window.addEventListener('resize', () => ppFit(canvas, touch));
  const context = canvas.getContext('2d');
  const sound = ppSound();
  let muted = ppMuted();

  // `held` mirrors keys and touch buttons; `latched` keeps each press until a step
  // has seen it, so a tap shorter than a frame still counts.
  let held = 0;
  let latched = 0;
  const input = {
    press(bit) { held |= bit; latched |= bit; sound.unlock(); },
    release(bit) { held &= ~bit; },
  };
  window.addEventListener('keydown', (event) => {
    if (ppTyping(event)) return;
    const bit = ppKeys[event.code];
    if (event.code === 'KeyM' && !event.repeat) {
      setMuted(!muted);
    } else if (bit) {
      input.press(bit);
      event.preventDefault();
    } else if (!event.repeat && !event.ctrlKey && !event.metaKey && !event.altKey) {
      input.press(ppStart);
      input.release(ppStart);
    }
  });
  window.addEventListener('keyup', (event) => {
    if (ppTyping(event)) return;
    const bit = ppKeys[event.code];
    if (bit) {
      input.release(bit);
      event.preventDefault();
    }
  });
  // Leaving the page lets go of everything and pauses a game in play.
  const away = () => {
    held = 0;
    if (game.state() === 'playing' && !game.replaying()) latched |= ppPause;
  };
  window.addEventListener('blur', away);
  document.addEventListener('visibilitychange', () => { if (document.hidden) away(); });
  canvas.addEventListener('pointerdown', () => {
    canvas.focus();
    input.press(ppStart);
    input.release(ppStart);
  });
  if (touch) ppTouchControls(input);
  const muteButton = ppButton('Sound', '', 'width:40px;height:32px;'
    + (touch ? 'right:72px;top:16px;' : 'right:8px;bottom:8px;'));
  muteButton.id = 'pp-mute';
  ppFullScreen(canvas, touch);
  function setMuted(value) {
    muted = value;
    ppSetMuted(muted);
    muteButton.innerHTML = muted ? ppIcons.soundOff : ppIcons.soundOn;
    muteButton.setAttribute('aria-pressed', String(muted));
    muteButton.title = muted ? 'Sound off (M)' : 'Sound on (M)';
  }
  setMuted(muted);
  muteButton.addEventListener('click', (event) => {
    event.stopPropagation();
    sound.unlock();
    setMuted(!muted);
    canvas.focus();
  });

  const hook = {
    game,
    error: failure,
    muted: () => muted,
    // What the screens tell the player to press: `touch` or `keys`.
    controls: () => game.controls(),
    // Plays level `level` (from 0) by itself with its stored proof playthrough.
    replay: (level) => game.replay(level),
    // Plays the whole game by itself from the title screen, recorded like a player's run.
    autoplay: () => game.autoplay(),
    state: () => ({
      state: game.state(),
      x: game.player_x(),
      y: game.player_y(),
      level: game.level_index(),
      levels: game.level_count(),
      score: game.score(),
      treats: game.treats(),
      lives: game.lives(),
      replaying: game.replaying(),
      animation: game.player_animation(),
      frame: game.player_frame(),
    }),
    frames: 0,
    ready: false,
  };
  const board = ppLeaderboard(source.leaderboard, canvas);
  const seen = ppEvents(source.events);
  seen.add('view');
  // The first start of play is reported once, where the page says where to.
  let reported = !source.plays;
  const report = () => {
    if (reported || game.replaying() || game.state() !== 'playing') return;
    reported = true;
    fetch(source.plays, { method: 'POST', keepalive: true }).catch(() => {});
  };
  let last = performance.now();
  let owed = ppStepMs;
  let pad = 0;
  const frame = (now) => {
    owed += Math.min(now - last, ppMaxFrameMs);
    last = now;
    const padNow = ppGamepadBits();
    const padPressed = padNow & ~pad;
    pad = padNow;
    latched |= padPressed;
    let events = 0;
    while (owed >= ppStepMs) {
      events |= game.step(held | pad | latched);
      latched = 0;
      owed -= ppStepMs;
    }
    if (!muted) sound.play(events);
    report();
    const finished = game.take_run();
    if (finished) {
      const run = { text: finished.text, steps: finished.steps, score: finished.score };
      finished.free();
      seen.add('complete');
      board.finished(run);
    }
    game.render();
    // The view is made after stepping: memory may have grown and moved.
    const pixels = new Uint8ClampedArray(exports.memory.buffer, game.frame_ptr(), width * height * 4);
    context.putImageData(new ImageData(pixels, width, height), 0, 0);
    hook.frames += 1;
    if (!hook.ready) {
      hook.ready = true;
      hook.firstFrameMs = performance.now();
      window.__petpixel = hook;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}
