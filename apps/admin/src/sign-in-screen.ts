import type { Screen } from './context.js';
import { h, replace } from './dom.js';
import { describeError } from './messages.js';
import { signIn, signOut } from './session.js';

export const signInScreen: Screen = (context, reason) => {
  const error = h('p', { class: 'error', role: 'alert' });
  if (reason === 'expired')
    error.textContent = 'Your session has ended or the token is not valid. Sign in again.';
  const token = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    required: true,
    'aria-describedby': 'token-hint',
  });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'card' },
    h('label', { for: 'token' }, 'Access token'),
    token,
    h(
      'p',
      { id: 'token-hint', class: 'hint' },
      'Paste the token printed by ',
      h('code', {}, 'npm run token -- you@example.com'),
      ', or open the sign-in link from ',
      h('code', {}, 'npm run token -- you@example.com --url'),
      '. It is kept in this tab only.',
    ),
    submit,
    error,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit.disabled = true;
    error.textContent = '';
    signIn(token.value);
    // One cheap call proves the token before the page says "signed in".
    context.api
      .json('/ticket-views?limit=1')
      .then(() => context.navigate('#/views'))
      .catch((failure: unknown) => {
        signOut();
        error.textContent = describeError(failure);
        submit.disabled = false;
      });
  });
  replace(context.main, h('h1', {}, 'Sign in'), form);
  token.focus();
};
