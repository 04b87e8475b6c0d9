import { z } from 'zod';
import type { Product } from './observed';

/** Version profiles (docs/lync-reference.md, Version profiles): which product family and which documented command text. */
export const PROFILES = ['lync2010', 'lync2013', 'lync2013-cu5', 'sfb2015', 'sfb2019', 'sfbse'] as const;
export const Profile = z.enum(PROFILES);
export type Profile = z.infer<typeof Profile>;

/** The product each profile belongs to (CU5 or not is the admin's choice of profile). */
export const PROFILE_PRODUCT: Record<Profile, Product> = {
  lync2010: 'Lync Server 2010',
  lync2013: 'Lync Server 2013',
  'lync2013-cu5': 'Lync Server 2013',
  sfb2015: 'Skype for Business Server 2015',
  sfb2019: 'Skype for Business Server 2019',
  sfbse: 'Skype for Business Server Subscription Edition',
};

/** A human label for each profile, for cards. */
export const PROFILE_LABEL: Record<Profile, string> = {
  lync2010: 'Lync Server 2010',
  lync2013: 'Lync Server 2013 (before CU5)',
  'lync2013-cu5': 'Lync Server 2013 CU5 or later',
  sfb2015: 'Skype for Business Server 2015',
  sfb2019: 'Skype for Business Server 2019',
  sfbse: 'Skype for Business Server Subscription Edition',
};
